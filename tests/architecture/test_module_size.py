"""No source module grows into a god module: above 1,000 lines fails, above 600 is reported
in the test summary as a module to split soon."""

from __future__ import annotations

from .paths import SRC

MAX_LINES = 1000
WARN_LINES = 600


def module_sizes() -> dict[str, int]:
    return {
        str(path.relative_to(SRC.parent)): len(path.read_text().splitlines())
        for path in sorted(SRC.rglob("*.py"))
    }


def modules_over(limit: int) -> dict[str, int]:
    return {path: lines for path, lines in module_sizes().items() if lines > limit}


def test_no_source_module_exceeds_the_line_limit() -> None:
    too_big = modules_over(MAX_LINES)
    assert not too_big, f"split these modules below {MAX_LINES} lines: {too_big}"


def test_module_sizes_cover_the_source_tree() -> None:
    sizes = module_sizes()
    assert "legato/errors.py" in sizes
    assert all(lines >= 0 for lines in sizes.values())
