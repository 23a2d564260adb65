"""mail-parser as an independent oracle: on every well-formed sample it decodes the summary
fields as we do; on the two samples built to break strict parsers it reads nothing, we do."""

from __future__ import annotations

import logging
from pathlib import Path

import mailparser
import pytest

from o365diag.headers import analyze
from tests.test_samples import SAMPLE_FILES

BROKEN_FOR_STRICT_PARSERS = {"15-malformed-header", "16-x-ms-exchange-auth-results-bestguesspass"}


@pytest.fixture(autouse=True)
def _quiet_mailparser() -> None:
    logging.getLogger("mailparser").setLevel(logging.CRITICAL)


@pytest.mark.parametrize("path", SAMPLE_FILES, ids=lambda p: p.stem)
def test_summary_agrees_with_mail_parser(path: Path) -> None:
    data = path.read_bytes()
    theirs = mailparser.parse_from_bytes(data)
    ours = analyze(data, name=path.name).to_dict()["summary"]
    assert ours["subject"] and ours["from_address"] and ours["to"]
    if path.stem in BROKEN_FOR_STRICT_PARSERS:
        assert theirs.subject == ""
        return
    assert theirs.subject == ours["subject"]
    assert [address for _, address in theirs.from_] == [ours["from_address"]]
    assert [address for _, address in theirs.to] == ours["to"]
    assert theirs.message_id.strip() == ours["message_id"]
