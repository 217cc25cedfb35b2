"""Flow parameters: coerced from strings and JSON values to the annotated types, every bad
field reported at once, a JSON schema for forms, and nothing stored when they are invalid."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

import pydantic
import pytest

from legato import flow
from legato.errors import ParameterError
from legato.sdk import runtime
from legato.sdk.parameters import ParameterSchema
from legato.testing import InMemoryBackend
from tests.unit.engine.support import only_flow_run

if TYPE_CHECKING:
    from decimal import Decimal  # only for type checkers: unresolvable at run time


class Window(pydantic.BaseModel):
    start: date
    days: int = 1


def typed(
    n: int, ratio: float, day: date, at: datetime, ids: list[int], window: Window, label: str = "x"
) -> dict[str, Any]:
    return {
        "n": n,
        "ratio": ratio,
        "day": day,
        "at": at,
        "ids": ids,
        "window": window,
        "label": label,
    }


RAW = {
    "n": "3",
    "ratio": "0.25",
    "day": "2026-02-03",
    "at": "2026-02-03T04:05:06Z",
    "ids": ["1", "2", 3],
    "window": {"start": "2026-01-01", "days": "7"},
}


def test_strings_and_json_values_are_coerced_to_the_annotated_types() -> None:
    values = ParameterSchema(typed, "@flow 'typed'").validate(RAW)
    assert values == {
        "n": 3,
        "ratio": 0.25,
        "day": date(2026, 2, 3),
        "at": datetime(2026, 2, 3, 4, 5, 6, tzinfo=UTC),
        "ids": [1, 2, 3],
        "window": Window(start=date(2026, 1, 1), days=7),
        "label": "x",
    }
    assert type(values["n"]) is int and type(values["window"]) is Window


def test_run_flow_passes_coerced_values_to_the_body(backend: InMemoryBackend) -> None:
    seen: list[dict[str, Any]] = []

    @flow
    def pipeline(
        n: int,
        ratio: float,
        day: date,
        at: datetime,
        ids: list[int],
        window: Window,
        label: str = "x",
    ) -> None:
        seen.append(typed(n, ratio, day, at, ids, window, label))

    state = runtime.run_flow(pipeline, RAW)
    assert state.is_completed()
    assert seen[0]["ids"] == [1, 2, 3] and seen[0]["window"].days == 7
    stored = only_flow_run(backend).parameters
    assert stored["day"] == "2026-02-03"
    assert stored["window"] == {"start": "2026-01-01", "days": 7}


def test_direct_call_coerces_keyword_and_positional_arguments(backend: InMemoryBackend) -> None:
    @flow
    def pipeline(n: int, day: date) -> tuple[int, date]:
        return n, day

    assert pipeline("4", day="2026-05-06") == (4, date(2026, 5, 6))


def test_every_bad_field_is_listed_in_the_error() -> None:
    with pytest.raises(ParameterError) as info:
        ParameterSchema(typed, "@flow 'typed'").validate({**RAW, "n": "three", "day": "someday"})
    fields = [name for name, _ in info.value.errors]
    assert sorted(fields) == ["day", "n"]
    message = str(info.value)
    assert message.startswith("@flow 'typed' got invalid parameters")
    assert "n: " in message and "day: " in message and "'three'" in message
    assert "Fix these values" in message


def test_nested_bad_fields_are_named_by_their_path() -> None:
    with pytest.raises(ParameterError) as info:
        ParameterSchema(typed, "@flow 'typed'").validate(
            {**RAW, "ids": ["1", "x"], "window": {"start": "2026-01-01", "days": "many"}}
        )
    assert sorted(name for name, _ in info.value.errors) == ["ids.1", "window.days"]


def test_unknown_and_missing_parameters_are_reported_together() -> None:
    with pytest.raises(ParameterError) as info:
        ParameterSchema(typed, "@flow 'typed'").validate({"nn": 1})
    errors = dict(info.value.errors)
    assert "unknown parameter" in errors["nn"]
    assert "n, ratio, day" in errors["nn"]  # says which parameters exist
    assert {"n", "ratio", "day", "at", "ids", "window"} <= set(errors)
    assert "label" not in errors  # it has a default


def test_flow_with_var_keyword_accepts_extra_parameters(backend: InMemoryBackend) -> None:
    @flow
    def pipeline(n: int, **extra: Any) -> dict[str, Any]:
        return {"n": n, **extra}

    assert pipeline(n="1", colour="red") == {"n": 1, "colour": "red"}


def test_too_many_positional_arguments_raise_parameter_error(backend: InMemoryBackend) -> None:
    @flow
    def pipeline(n: int) -> int:
        return n

    with pytest.raises(ParameterError, match="@flow 'pipeline'"):
        pipeline(1, 2)
    assert backend.list_flow_runs() == []


def test_validate_parameters_false_passes_values_through(backend: InMemoryBackend) -> None:
    @flow(validate_parameters=False)
    def pipeline(n: int) -> Any:
        return n

    assert pipeline("not a number") == "not a number"


def test_json_schema_has_properties_defaults_and_required() -> None:
    @flow
    def pipeline(n: int, day: date, tags: list[str] | None = None, label: str = "x") -> None: ...

    schema = pipeline.parameters
    assert set(schema["properties"]) == {"n", "day", "tags", "label"}
    assert sorted(schema["required"]) == ["day", "n"]
    assert schema["properties"]["n"]["type"] == "integer"
    assert schema["properties"]["day"]["format"] == "date"
    assert schema["properties"]["label"]["default"] == "x"


def test_invalid_parameters_store_nothing(backend: InMemoryBackend) -> None:
    @flow
    def pipeline(n: int, m: int) -> int:
        return n + m

    with pytest.raises(ParameterError) as info:
        pipeline(n="x", m="y")
    assert sorted(name for name, _ in info.value.errors) == ["m", "n"]
    with pytest.raises(ParameterError):
        runtime.run_flow(pipeline, {"n": "1", "m": "y"})
    assert backend.list_flow_runs() == []
    assert backend.writes == 0
    assert backend.versions == {}


def test_non_json_parameter_to_a_top_level_flow_raises_naming_it(backend: InMemoryBackend) -> None:
    @flow
    def pipeline(lock: Any) -> None: ...

    with pytest.raises(ParameterError) as info:
        pipeline(threading.Lock())
    assert "parameter 'lock'" in str(info.value)
    assert "cannot be stored as JSON" in str(info.value)
    assert info.value.errors == [("lock", "not JSON-serializable")]
    assert backend.list_flow_runs() == []


def test_non_json_parameter_to_a_subflow_is_stored_as_its_repr(backend: InMemoryBackend) -> None:
    class Handle:
        def __repr__(self) -> str:
            return "<Handle 7>"

    @flow
    def child(handle: Any) -> str:
        return repr(handle)

    @flow
    def parent() -> str:
        return child(Handle())

    assert parent() == "<Handle 7>"
    assert only_flow_run(backend, "child").parameters == {"handle": "<Handle 7>"}


def with_unresolvable_hint(n: int, amount: Decimal | None = None) -> int:
    return n


def test_an_unresolvable_annotation_leaves_the_other_parameters_validated() -> None:
    schema = ParameterSchema(with_unresolvable_hint, "@flow 'f'")
    assert schema.validate({"n": "3"}) == {"n": 3, "amount": None}
    with pytest.raises(ParameterError) as info:
        schema.validate({"n": "three", "amount": "anything goes"})
    assert [name for name, _ in info.value.errors] == ["n"]


def scalars(name: str, count: int = 2, ratio: float = 0.5, dry: bool = False,
            note: Any = None) -> None:
    ...


@pytest.mark.parametrize("values", [
    {"name": "a"},
    {"name": "a", "count": 3, "ratio": 1.5, "dry": True, "note": [1, {"x": 2}]},
    {"name": "", "note": None},
])
def test_values_of_their_exact_scalar_type_are_taken_without_building_a_model(
    values: dict[str, Any]
) -> None:
    schema = ParameterSchema(scalars, "flow 'scalars'")
    got = schema.validate(values)
    assert schema._model is None
    reference = ParameterSchema(scalars, "flow 'scalars'")
    expected = dict(reference._pydantic_model().model_validate(values))
    assert got == expected
    assert [type(v) for v in got.values()] == [type(v) for v in expected.values()]


@pytest.mark.parametrize(("values", "coerced"), [
    ({"name": "a", "count": "3"}, {"count": 3}),
    ({"name": "a", "ratio": 2}, {"ratio": 2.0}),
    ({"name": "a", "dry": "true"}, {"dry": True}),
])
def test_values_that_need_coercion_still_go_through_the_model(
    values: dict[str, Any], coerced: dict[str, Any]
) -> None:
    schema = ParameterSchema(scalars, "flow 'scalars'")
    got = schema.validate(values)
    assert schema._model is not None
    assert {k: got[k] for k in coerced} == coerced
    assert [type(got[k]) for k in coerced] == [type(v) for v in coerced.values()]


def test_a_missing_or_wrong_scalar_is_reported_as_before() -> None:
    schema = ParameterSchema(scalars, "flow 'scalars'")
    with pytest.raises(ParameterError, match="name: Field required"):
        schema.validate({"count": 1})
    with pytest.raises(ParameterError, match="count: Input should be a valid integer"):
        schema.validate({"name": "a", "count": "many"})


def test_a_flow_with_a_non_scalar_parameter_always_uses_the_model() -> None:
    schema = ParameterSchema(typed, "flow 'typed'")
    schema.validate({**RAW, "n": 3})
    assert schema._model is not None
