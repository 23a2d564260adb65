"""Redaction of internationalised addresses and host names, in Unicode and in punycode: both
spellings of one name get one placeholder, and nothing of either survives."""

from __future__ import annotations

import json

import pytest

from o365diag.redact import Redactor

UNICODE = "jurgen@bücher-shop.example"
PUNYCODE = "jurgen@xn--bcher-shop-9db.example"


@pytest.mark.parametrize(
    ("text", "gone"),
    [
        (f"From: Jürgen <{UNICODE}>", ["bücher", "jurgen"]),
        (f"From: <{PUNYCODE}>", ["bcher", "jurgen"]),
        ("Received: from mx.bücher-shop.example ([198.51.100.7])", ["bücher", "198.51.100.7"]),
        ("Received: from mail.пример.рф by mx.example.net", ["пример", "example.net"]),
        ("sender jürgen@example.com", ["jürgen", "example.com"]),
        ("helo=MÜHLE.bücher-shop.example", ["MÜHLE", "bücher"]),
    ],
)
def test_internationalised_names_are_replaced(text: str, gone: list[str]) -> None:
    redacted = Redactor().text(text)
    for part in gone:
        assert part.lower() not in redacted.lower(), redacted


def test_unicode_and_punycode_spellings_share_a_placeholder() -> None:
    redactor = Redactor()
    first = redactor.text(f"to {UNICODE}")
    second = redactor.text(f"to {PUNYCODE}")
    assert first == second == "to user-1@domain-1.example"


def test_internationalised_names_in_saved_results() -> None:
    saved = {
        "schema": "o365diag.headers/1",
        "summary": {"from": f"Jürgen <{UNICODE}>", "to": ["rcpt@пример.рф"]},
        "hops": [{"from": "mx.bücher-shop.example", "by": "mx.xn--e1afmkfd.xn--p1ai"}],
    }
    out = json.dumps(Redactor().data(saved), ensure_ascii=False)
    for part in ("bücher", "xn--", "пример", "jurgen"):
        assert part not in out, out


def test_prose_with_accented_words_stays() -> None:
    text = "Die Größe der Nachricht ist ok. Überprüfen Sie um 10:30 die Mühle."
    assert Redactor().text(text) == text
