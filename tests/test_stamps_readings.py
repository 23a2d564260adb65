"""The organization-stamp decoder gives what a plain field-by-field reading gives.

The plain reading is written out here (each stamp looked up, every field walked, the
FromEntityHeader meaning taken from the cross-tenant stamps as stored); it is compared with
decode_exchange on the samples, the benchmark's header sets and hand-made sets with repeated
stamps in several spellings.
"""

from __future__ import annotations

from o365diag.headers.model import Exchange, ExchangeMeanings
from o365diag.headers.parse import HeaderSet, parse_header_block, read_header_source
from o365diag.headers.stamps import _OTHER_STAMPS, CROSS, ORG, decode_exchange, one_value
from o365diag.knowledge import load_table
from tests.test_headers_fast_paths import _generated_sets, _sample_sets


def _stamp(headers: HeaderSet, name: str) -> str | None:
    found = [f for f in headers if f.key == name.lower()]
    return (one_value(found[0].value) or None) if found else None


def _exchange_plainly(headers: HeaderSet) -> Exchange:
    names = ["AuthAs", "AuthSource", "AuthMechanism", "MessageDirectionality"]
    stamps = Exchange(*[_stamp(headers, f"{ORG}{name}") for name in names])
    stamps.network_message_id = _stamp(headers, f"{ORG}Network-Message-Id")
    for found in headers:
        if found.key.startswith(CROSS):
            stamps.cross_tenant.setdefault(found.name[len(CROSS) :], one_value(found.value))
        elif found.key in _OTHER_STAMPS:
            stamps.other.setdefault(found.name, found.value)
    stamps.meanings = ExchangeMeanings(
        auth_as=load_table("auth_as").meaning(stamps.auth_as or ""),
        directionality=load_table("directionality").meaning(stamps.directionality or ""),
        from_entity=load_table("from_entity").meaning(
            stamps.cross_tenant_value("FromEntityHeader") or ""
        ),
    )
    return stamps


_REPEATED = (
    "X-MS-Exchange-CrossTenant-fromentityheader: Hosted (lower case, topmost)\n"
    "X-MS-Exchange-CrossTenant-FromEntityHeader: Internet\n"
    "x-ms-exchange-crosstenant-FROMENTITYHEADER: Internet\n"
    "X-MS-Exchange-CrossTenant-Id: 00000000-0000-0000-0000-000000000001\n"
    "X-OriginatorOrg: example.com\n"
    "X-ORIGINATORORG: example.net\n"
    "X-MS-Exchange-Organization-AuthAs: Internal (x)\n"
    "x-ms-exchange-organization-authas: Anonymous\n"
    "X-MS-Exchange-Organization-MessageDirectionality: (only a comment)\n"
    "From: a@example.com\n"
)


def test_exchange_stamps_match_the_plain_reading() -> None:
    sets = [read_header_source(data) for data in _sample_sets() + _generated_sets(20)]
    sets += [parse_header_block(_REPEATED), parse_header_block(_REPEATED.upper())]
    sets += [parse_header_block("".join(reversed(_REPEATED.splitlines(True))))]
    for headers in sets:
        assert decode_exchange(headers) == _exchange_plainly(headers)


def test_the_topmost_from_entity_stamp_gives_the_meaning_whatever_its_spelling() -> None:
    stamps = decode_exchange(parse_header_block(_REPEATED))
    assert list(stamps.cross_tenant) == [
        "fromentityheader",
        "FromEntityHeader",
        "FROMENTITYHEADER",
        "Id",
    ]
    assert stamps.cross_tenant_value("FromEntityHeader") == "Hosted"
    assert stamps.meanings.from_entity == load_table("from_entity").meaning("Hosted")
    assert stamps.other == {"X-OriginatorOrg": "example.com", "X-ORIGINATORORG": "example.net"}
    assert (stamps.auth_as, stamps.directionality) == ("Internal", None)


def test_values_that_differ_per_message_are_not_remembered() -> None:
    """Sender IPs, host names, rule and engine ids are new in every message: remembering them
    would only fill the caches (and flatter a benchmark that repeats its inputs)."""
    from o365diag.headers import stamps

    def message(number: int) -> bytes:
        return (
            f"X-Forefront-Antispam-Report: CIP:192.0.2.{number % 250};CTRY:US;SFV:SPM;"
            f"H:mx{number}.example.com;PTR:mx{number}.example.com;SFS:({number})(7{number});\n"
            f"X-Microsoft-Antispam: BCL:0;ARA:{number}|9{number};\n"
            f"X-Microsoft-Antispam-Mailbox-Delivery: ucf:0;dest:J;ENG:({number})(8{number});\n"
        ).encode()

    stamps.decode_antispam(read_header_source(message(0)))
    before = (
        stamps._description.cache_info().currsize,
        stamps._coded_delivery_token.cache_info().currsize,
        len(load_table("mailbox_delivery")._memo),
    )
    decoded = [stamps.decode_antispam(read_header_source(message(n))) for n in range(1, 60)]
    after = (
        stamps._description.cache_info().currsize,
        stamps._coded_delivery_token.cache_info().currsize,
        len(load_table("mailbox_delivery")._memo),
    )
    assert after == before
    last = decoded[-1]
    assert last.values["cip"] == "192.0.2.59" and last.values["sfs"] == ["59", "759"]
    eng = next(t for t in last.values["mailbox_delivery"] if t["key"] == "ENG")
    assert eng["value"] == "(59)(859)" and eng["meaning"]
