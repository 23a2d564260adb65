"""The recommendation for every combination of answers in Microsoft's comparison table.

The oracle below is written straight from the table in shared/reference/smtp.md §2.4 (one
row per feature or requirement), independently of the package's checks, and the package must
agree with it for all 2,304 combinations of the answers the table distinguishes.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import product

import pytest

from o365diag.knowledge import load_table
from o365diag.setup.answers import SetupAnswers
from o365diag.setup.options import MAIN_OPTIONS, recommend


@dataclass(frozen=True)
class Column:
    """One column of Microsoft's table."""

    external: bool  # "Relay to internet via Microsoft 365"
    third_party: bool  # "Supports mail sent from applications hosted by a third party"
    sent_items: bool  # "Saves to Sent Items folder"
    ports: frozenset[int]  # "Open network port"
    tls_required: bool  # "Device or application server must support TLS"
    needs: str  # "Requires authentication": mailbox | nothing | static IP (or certificate)
    recipient_limit: int | None  # "Throttling limits"


TABLE = {
    "submission": Column(True, True, True, frozenset({587, 25}), True, "mailbox", 10_000),
    "direct-send": Column(False, True, False, frozenset({25}), False, "nothing", None),
    "relay": Column(True, False, False, frozenset({25}), False, "ip-or-cert", None),
}
# Preference among fitting options (o365diag's ranking, see knowledge/sending_options.json).
PREFERENCE = ("submission-oauth", "relay", "direct-send", "submission-basic")

TLS = (True, False)
AUTH = ("none", "basic", "oauth")
STATIC_IPS = ((), ("203.0.113.25",))
CERTIFICATES = (None, "scanner.example.com")
RECIPIENTS = ("internal", "external", "both")
HOSTED = (False, True)
SENT_ITEMS = (False, True)
PORT25 = (True, False)
PORT587 = (True, False)
VOLUME = (500, 20_000)
COMBINATIONS = list(
    product(
        TLS, AUTH, STATIC_IPS, CERTIFICATES, RECIPIENTS, HOSTED, SENT_ITEMS, PORT25, PORT587, VOLUME
    )
)


NAMES = (
    "tls",
    "auth",
    "static_ips",
    "certificate_name",
    "recipients",
    "third_party_hosted",
    "sent_items",
    "port25_open",
    "port587_open",
    "volume_per_day",
)


def answers_for(combo: tuple[object, ...]) -> SetupAnswers:
    values = dict(zip(NAMES, combo, strict=True))
    return SetupAnswers(domain="example.com", sender="scanner@example.com", **values).validate()


def fits(column: Column, a: SetupAnswers) -> bool:
    open_ports = {p for p, is_open in ((25, a.port25_open), (587, a.port587_open)) if is_open}
    identified = {
        "mailbox": a.auth != "none",
        "nothing": True,
        "ip-or-cert": bool(a.static_ips) or (a.certificate_name is not None and a.tls),
    }[column.needs]
    return all(
        (
            column.external or a.recipients == "internal",
            column.third_party or not a.third_party_hosted,
            column.sent_items or not a.sent_items,
            bool(column.ports & open_ports),
            a.tls or not column.tls_required,
            identified,
            column.recipient_limit is None or a.volume_per_day <= column.recipient_limit,
        )
    )


def expected_choice(a: SetupAnswers) -> str:
    fitting = [name for name, column in TABLE.items() if fits(column, a)]
    variants = [
        ("submission-oauth" if a.auth == "oauth" else "submission-basic")
        if name == "submission"
        else name
        for name in fitting
    ]
    if variants:
        return min(variants, key=PREFERENCE.index)
    hve_fits = (
        a.recipients == "internal"
        and a.tls
        and a.auth != "none"
        and a.port587_open
        and not a.sent_items
    )
    return "hve" if hve_fits else "other"


def test_the_combinations_cover_every_table_row() -> None:
    assert len(COMBINATIONS) == 2 * 3 * 2 * 2 * 3 * 2 * 2 * 2 * 2 * 2
    choices = {recommend(answers_for(c)).variant for c in COMBINATIONS}
    assert choices == {
        "submission-oauth",
        "submission-basic",
        "direct-send",
        "relay",
        "hve",
        "other",
    }


def test_every_combination_gets_the_option_the_table_gives() -> None:
    wrong = []
    for combo in COMBINATIONS:
        answers = answers_for(combo)
        got = recommend(answers).variant
        if got != expected_choice(answers):
            wrong.append((combo, got, expected_choice(answers)))
    assert wrong == []


def test_every_combination_lists_exactly_the_options_that_do_not_fit() -> None:
    for combo in COMBINATIONS:
        answers = answers_for(combo)
        rec = recommend(answers)
        rejected = {v.option.name for v in rec.rejected} - {"hve"}
        assert rejected == {n for n, c in TABLE.items() if not fits(c, answers)}, combo
        alternatives = {v.option.name for v in rec.alternatives}
        fitting = {n for n, c in TABLE.items() if fits(c, answers)}
        assert alternatives | ({rec.name} & fitting) == fitting, combo
        for verdict in rec.rejected:
            assert verdict.reasons and all(r.source.startswith("https://") for r in verdict.reasons)


@pytest.mark.parametrize(
    ("changes", "option", "fact"),
    [
        ({"recipients": "external"}, "direct-send", "external"),
        ({"third_party_hosted": True}, "relay", "third-party-hosted"),
        ({"sent_items": True}, "relay", "sent-items"),
        ({"tls": False}, "submission", "tls"),
        ({"auth": "none"}, "submission", "authentication"),
        ({"volume_per_day": 10_001}, "submission", "daily-recipient-limit"),
        ({"port25_open": False}, "direct-send", "ports"),
    ],
)
def test_each_table_row_is_the_reason_given(
    changes: dict[str, object], option: str, fact: str
) -> None:
    base = {
        "domain": "example.com",
        "sender": "scanner@example.com",
        "tls": True,
        "auth": "oauth",
        "recipients": "internal",
        "static_ips": ("203.0.113.25",),
    }
    rec = recommend(SetupAnswers(**{**base, **changes}).validate())
    verdict = next(v for v in rec.rejected if v.option.name == option)
    assert fact in [r.fact for r in verdict.reasons]


@pytest.mark.parametrize(
    ("answers", "option"),
    [
        # A scanner with OAuth: SMTP AUTH client submission, the others only as alternatives.
        ({"tls": True, "auth": "oauth", "recipients": "both"}, "submission"),
        # An old copier without TLS or AUTH but with a static IP, mailing customers: a connector.
        (
            {
                "tls": False,
                "auth": "none",
                "recipients": "external",
                "static_ips": ("203.0.113.25",),
            },
            "relay",
        ),
        # Same copier mailing only staff, no static IP: direct send.
        ({"tls": False, "auth": "none", "recipients": "internal"}, "direct-send"),
        # A cloud-hosted app without AUTH mailing outsiders: nothing fits, use another service.
        (
            {
                "tls": True,
                "auth": "none",
                "recipients": "external",
                "third_party_hosted": True,
                "static_ips": ("203.0.113.25",),
            },
            "other",
        ),
        # 50,000 internal recipients a day with AUTH on 587 but port 25 blocked: HVE.
        (
            {
                "tls": True,
                "auth": "basic",
                "recipients": "internal",
                "volume_per_day": 50_000,
                "port25_open": False,
            },
            "hve",
        ),
        # Certificate but no TLS cannot identify the device to a connector.
        (
            {
                "tls": False,
                "auth": "none",
                "recipients": "external",
                "certificate_name": "scanner.example.com",
            },
            "other",
        ),
        # Only an IPv6 address: connectors take IPv4 only.
        (
            {
                "tls": True,
                "auth": "none",
                "recipients": "external",
                "static_ips": ("2001:db8::25",),
            },
            "other",
        ),
    ],
)
def test_worked_examples(answers: dict[str, object], option: str) -> None:
    rec = recommend(
        SetupAnswers(domain="example.com", sender="scanner@example.com", **answers).validate()
    )
    assert rec.name == option


def test_basic_only_device_prefers_a_connector_over_retiring_basic_auth() -> None:
    answers = SetupAnswers(
        domain="example.com",
        sender="scanner@example.com",
        tls=True,
        auth="basic",
        recipients="both",
        static_ips=("203.0.113.25",),
    )
    rec = recommend(answers.validate())
    assert rec.name == "relay"
    assert [v.option.name for v in rec.alternatives] == ["submission"]
    assert "December 2026" in rec.to_dict()["alternatives"][0]["why"]
    assert "December 2026" not in rec.why


def test_knowledge_table_holds_microsofts_cells_with_sources() -> None:
    table = load_table("sending_options")

    def value(key: str) -> object:
        entry = table.lookup(key)
        assert entry is not None, key
        return entry.get("value")

    for option, column in TABLE.items():
        assert value(f"{option}.external") is column.external
        assert value(f"{option}.third-party-hosted") is column.third_party
        assert value(f"{option}.sent-items") is column.sent_items
        assert set(value(f"{option}.ports")) == column.ports  # type: ignore[call-overload]
        assert (value(f"{option}.tls") == "required") is column.tls_required
        assert value(f"{option}.daily-recipient-limit") == column.recipient_limit
    for entry in table.entries:
        assert entry.source.startswith("https://"), entry.key
    main = [table.lookup(name) for name in MAIN_OPTIONS]
    assert all(e is not None and "learn.microsoft.com" in e.source for e in main)
