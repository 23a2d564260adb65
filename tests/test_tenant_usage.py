"""Bad ranges and filters for Graph pulls: the library names its fields, the CLI its options."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from o365diag.cli import main
from o365diag.errors import O365DiagError
from o365diag.tenant.pull import canonical_status
from o365diag.tenant.timerange import asked_range

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("since", "start", "end", "field_or_words"),
    [
        ("0d", None, None, "since"),
        ("ten days", None, None, "since"),
        (None, "yesterday", None, "start"),
        (None, None, "2026-13-01", "end"),
        ("10d", "2026-12-01", None, "since or start"),
        (None, "2026-12-06", "2026-12-01", "start must come before end"),
    ],
)
def test_range_errors_name_fields_not_flags(
    since: str | None, start: str | None, end: str | None, field_or_words: str
) -> None:
    with pytest.raises(O365DiagError) as caught:
        asked_range(since=since, start=start, end=end, now=NOW, default_since="10d")
    assert "--" not in str(caught.value)
    assert field_or_words in str(caught.value)


def test_status_error_carries_its_field() -> None:
    with pytest.raises(O365DiagError) as caught:
        canonical_status("bounced")
    assert caught.value.field == "status"
    assert "--" not in str(caught.value) and "gettingStatus" in str(caught.value)


@pytest.mark.parametrize(
    ("extra", "option"),
    [
        (["--status", "bounced"], "--status"),
        (["--since", "0d"], "--since"),
        (["--start", "yesterday"], "--start"),
        (["--since", "5d", "--start", "2026-12-01"], "--since"),
    ],
)
def test_cli_words_the_field_as_its_option(
    extra: list[str], option: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["trace", "--graph", "--tenant", "contoso.example", "--out", str(tmp_path), *extra]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and option in err[0]
