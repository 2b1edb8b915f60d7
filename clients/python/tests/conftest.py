"""With RETORT_CLIENT_FAIL_ON_SKIP=1 (set by ci.sh), a run that skipped any test fails."""

import os

import pytest


def _fail_on_skip() -> bool:
    return os.environ.get("RETORT_CLIENT_FAIL_ON_SKIP") == "1"


def _skipped(config: pytest.Config) -> int:
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    return len(reporter.stats.get("skipped", [])) if reporter else 0


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if _fail_on_skip() and session.exitstatus == 0 and _skipped(session.config):
        session.exitstatus = 1


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:
    skipped = _skipped(config)
    if _fail_on_skip() and skipped:
        terminalreporter.section("skipped tests fail this run", sep="=", red=True)
        terminalreporter.write_line(
            f"{skipped} test(s) skipped; RETORT_CLIENT_FAIL_ON_SKIP=1 requires every test to run"
        )
