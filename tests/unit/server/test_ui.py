"""The web UI served by the API app: files from the static directory, index.html for client
routes, long caching only for hashed assets, and /api paths never answered by the UI."""

from __future__ import annotations

from pathlib import Path

import pytest

from legato.orchestration.local import LocalBackend
from legato.server.app import create_app
from legato.server.ui import IMMUTABLE, REVALIDATE

from .conftest import Api

INDEX = "<!doctype html><title>Legato</title><div id=root></div>"


@pytest.fixture
def static(tmp_path: Path) -> Path:
    root = tmp_path / "static"
    (root / "assets").mkdir(parents=True)
    (root / "index.html").write_text(INDEX)
    (root / "assets" / "index-abc123.js").write_text("console.log(1)")
    (root / "favicon.svg").write_text("<svg/>")
    (tmp_path / "secret.txt").write_text("outside the static directory")
    return root


@pytest.fixture
def ui(backend: LocalBackend, static: Path) -> Api:
    return Api(create_app(backend, ui_dir=static))


def test_the_root_and_client_routes_answer_index_html_revalidated(ui: Api) -> None:
    for path in ("/", "/runs", "/runs/0190a1b2-c3d4", "/deployments/x/run?tab=logs"):
        response = ui.get(path)
        assert response.status_code == 200, path
        assert response.text == INDEX
        assert response.headers["content-type"].startswith("text/html")
        assert response.headers["cache-control"] == REVALIDATE


def test_hashed_assets_are_cached_for_a_year_and_other_files_revalidated(ui: Api) -> None:
    asset = ui.get("/assets/index-abc123.js")
    assert (asset.status_code, asset.text) == (200, "console.log(1)")
    assert asset.headers["cache-control"] == IMMUTABLE
    icon = ui.get("/favicon.svg")
    assert icon.status_code == 200
    assert icon.headers["cache-control"] == REVALIDATE


def test_a_missing_asset_is_a_404_not_the_app(ui: Api) -> None:
    assert ui.get("/assets/index-gone.js").status_code == 404
    assert ui.get("/robots.txt").status_code == 404


def test_api_paths_are_never_shadowed_by_the_ui(ui: Api) -> None:
    assert ui.get("/api/v1/health").json() == {"status": "ok"}
    missing = ui.get("/api/v1/no-such-thing")
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"
    assert ui.get("/api").status_code == 404
    assert ui.get("/api/v1/flow-runs/not-an-id").headers["content-type"] == "application/problem+json"


def test_routes_added_after_the_ui_still_answer(backend: LocalBackend, static: Path) -> None:
    app = create_app(backend, ui_dir=static)

    @app.get("/api/v1/late-route")
    def late() -> dict[str, bool]:
        return {"late": True}

    assert Api(app).get("/api/v1/late-route").json() == {"late": True}


def test_paths_cannot_escape_the_static_directory(ui: Api) -> None:
    for path in ("/../secret.txt", "/assets/../../secret.txt", "/%2e%2e/secret.txt"):
        response = ui.get(path)
        assert "outside the static directory" not in response.text, path


def test_writes_to_ui_paths_are_refused_as_problems(ui: Api) -> None:
    response = ui.post("/runs")
    assert response.status_code in (404, 405)
    assert response.headers["content-type"] == "application/problem+json"


def test_an_unbuilt_ui_says_how_to_build_it(backend: LocalBackend, tmp_path: Path) -> None:
    response = Api(create_app(backend, ui_dir=tmp_path / "missing")).get("/runs")
    assert response.status_code == 503
    assert "make ui" in response.text
    assert Api(create_app(backend, ui_dir=None)).get("/").status_code == 404
