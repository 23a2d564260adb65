"""The reply catalogue (knowledge/smtp_replies.json) and the local checks table, and how a
reply is matched: by code, enhanced code (exact or range) and text."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from o365diag.knowledge import STATUSES, load_table
from o365diag.smtp.config import PROFILES
from o365diag.smtp.diagnose import match_reply
from o365diag.smtp.model import STEP_NAMES, Reply

CATALOGUE = [e for e in load_table("smtp_replies").entries if e.key.startswith("E")]
DOCS = Path(__file__).resolve().parents[1] / "docs" / "smtp.md"


def test_catalogue_has_e01_to_e78_with_sources() -> None:
    assert [e.key for e in CATALOGUE] == [f"E{n:02d}" for n in range(1, 79)]
    for entry in CATALOGUE:
        assert entry.source.startswith("https://"), entry.key
        assert entry.status in STATUSES
        assert set(entry.get("steps")) <= set(STEP_NAMES), entry.key
        assert set(entry.get("options")) <= set(PROFILES), entry.key
        assert entry.get("title") and entry.get("fix") and entry.get("text"), entry.key
        if entry.get("pattern"):
            re.compile(entry.get("pattern"))


def _exact_specs(entry: object) -> list[str]:
    spec = entry.get("enhanced")  # type: ignore[attr-defined]
    specs = [spec] if isinstance(spec, str) else (spec or [])
    return [s for s in specs if "-" not in s]


def _sample_enhanced(entry: object) -> str | None:
    """The entry's first enhanced code; for a range such as 4.7.500-699, its low end."""
    spec = entry.get("enhanced")  # type: ignore[attr-defined]
    first = spec if isinstance(spec, str) else (spec or [None])[0]
    return first.split("-")[0] if first else None


@pytest.mark.parametrize("entry", CATALOGUE, ids=lambda e: e.key)
def test_each_catalogue_text_is_explained_by_an_entry_for_its_code(entry: object) -> None:
    enhanced = _sample_enhanced(entry)
    code = entry.get("code") or (int(enhanced[0]) * 100 + 50 if enhanced else 550)  # type: ignore
    text = f"{enhanced} {entry.get('text')}" if enhanced else entry.get("text")  # type: ignore
    step = entry.get("steps")[0]  # type: ignore[attr-defined]
    found = match_reply(Reply.parse(code, text), step, entry.get("options")[0])  # type: ignore
    assert found is not None
    if entry.get("pattern") or not any(  # type: ignore[attr-defined]
        e is not entry and enhanced in _exact_specs(e) for e in CATALOGUE
    ):
        assert found.key == entry.key  # type: ignore[attr-defined]
    else:
        assert enhanced in _exact_specs(found)


@pytest.mark.parametrize(
    ("text", "key"),
    [
        (
            "5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the "
            "Tenant.",
            "E07",
        ),
        (
            "5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the "
            "Mailbox.",
            "E08",
        ),
        (
            "5.7.139 Authentication unsuccessful, user is locked by your organization's security "
            "defaults policy.",
            "E09",
        ),
        (
            "5.7.139 Authentication unsuccessful, the request did not meet the criteria to be "
            "authenticated successfully.",
            "E10",
        ),
        ("5.7.139 Authentication unsuccessful, basic authentication is disabled.", "E11"),
    ],
)
def test_the_five_kinds_of_5_7_139_are_told_apart_by_text(text: str, key: str) -> None:
    entry = match_reply(Reply.parse(535, text), "auth", "submission")
    assert entry is not None and entry.key == key


@pytest.mark.parametrize(
    ("code", "text", "key"),
    [
        (550, "5.7.620 Access denied, banned sending IP [192.0.2.7]", "E34"),
        (451, "4.7.650 Access denied, please try again later", "E32"),
        (599, "9.9.9 nothing like it", "class-5"),
        (452, "4.3.1 Insufficient system storage", "subject-3"),
        (554, "no enhanced code here", "reply-554"),
        (530, "Must issue a STARTTLS command first", "E04"),
    ],
)
def test_ranges_and_generic_fallbacks(code: int, text: str, key: str) -> None:
    entry = match_reply(Reply.parse(code, text), "mail", "direct-send")
    assert entry is not None and entry.key == key


def test_enhanced_code_is_read_from_the_first_line_only() -> None:
    assert Reply.parse(250, "host Hello\n2.0.0 later").enhanced is None
    assert Reply.parse(535, "5.7.3 Authentication unsuccessful").enhanced == "5.7.3"
    assert Reply.parse(535, "5.7.3x junk").enhanced is None
    assert Reply.parse(421, "4.7.66 TLS").finding_code == "smtp.4.7.66"
    assert Reply.parse(530, "Must issue").finding_code == "smtp.530"


def test_docs_list_every_local_finding_code() -> None:
    text = DOCS.read_text(encoding="utf-8")
    for entry in load_table("smtp_checks").entries:
        assert f"`{entry.key}`" in text, entry.key
        assert entry.source.startswith("https://")
