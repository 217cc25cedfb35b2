"""Reports source modules that are getting big, at the end of every test run that includes
the architecture tests."""

from __future__ import annotations

from _pytest.terminal import TerminalReporter

from .test_module_size import WARN_LINES, modules_over


def pytest_terminal_summary(terminalreporter: TerminalReporter) -> None:
    big = modules_over(WARN_LINES)
    if big:
        terminalreporter.section(f"modules over {WARN_LINES} lines (split them soon)")
        for path, lines in sorted(big.items(), key=lambda item: -item[1]):
            terminalreporter.write_line(f"{lines:6d}  {path}")
