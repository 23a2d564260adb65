"""An unexpected exception (a defect, not a finding) exits with its own code and one line; the
traceback only with --debug. Scripts can then tell a crash from a finding (exit 1)."""

from __future__ import annotations

import pytest

import o365diag.headers.analysis
from o365diag.cli import EXIT_CRASH, main
from tests.conftest import SAMPLES

SAMPLE = str(next(iter(sorted(SAMPLES.glob("*.txt")))))
SECRET_IN_MESSAGE = "hunter2-from-the-input"


@pytest.fixture
def broken_analyzer(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the header analysis raise the way a defect would."""

    def crash(*_args: object, **_kwargs: object) -> None:
        raise ZeroDivisionError(SECRET_IN_MESSAGE)

    monkeypatch.setattr(o365diag.headers.analysis, "analyze", crash)


@pytest.mark.usefixtures("broken_analyzer")
def test_a_crash_exits_with_its_own_code_and_one_line(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["headers", SAMPLE]) == EXIT_CRASH
    out, err = capsys.readouterr()
    assert EXIT_CRASH not in (0, 1, 2)
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "ZeroDivisionError" in lines[0] and "--debug" in lines[0]
    assert "Traceback" not in err
    assert SECRET_IN_MESSAGE not in err  # the message may quote input: left out


@pytest.mark.usefixtures("broken_analyzer")
@pytest.mark.parametrize("where", ["before", "after"])
def test_debug_prints_the_traceback(where: str, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["--debug", "headers", SAMPLE] if where == "before" else ["headers", SAMPLE, "--debug"]
    assert main(argv) == EXIT_CRASH
    err = capsys.readouterr().err
    assert "Traceback (most recent call last)" in err
    assert "ZeroDivisionError" in err


def test_usage_errors_and_findings_keep_their_codes(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["headers", "/nonexistent/o365diag-no-such-file.eml"]) == 2
    assert main(["headers", SAMPLE]) == 0
    capsys.readouterr()
