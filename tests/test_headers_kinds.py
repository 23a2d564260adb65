"""The kind labels a HeaderSet takes once for its consumers give what a walk over the fields
gives: each kind's fields, in field order, on parsed sets, sets built otherwise, sets whose
fields change after the labels were taken, and names in every spelling."""

from __future__ import annotations

import random

from o365diag.headers import kinds
from o365diag.headers.authres import AuthResults
from o365diag.headers.authres import parse_authentication_results as parse_ar
from o365diag.headers.parse import HeaderField, HeaderSet, parse_header_block, read_header_source
from o365diag.headers.verdict import parse_all_in_full
from tests.test_headers_fast_paths import _generated_sets, _sample_sets

ALL_KINDS = (
    kinds.OTHER,
    kinds.RECEIVED,
    kinds.AUTHENTICATION,
    kinds.CROSS_TENANT,
    kinds.EXCHANGE_STAMP,
)


def _kind_plainly(key: str) -> int:
    """What each consumer looked for, written out as it did: Received by key, the verdict's
    headers and Received-SPF, the cross-tenant prefix, then the kept organization stamps."""
    if key == "received":
        return kinds.RECEIVED
    if key in (*kinds.VERDICT_HEADERS, "received-spf"):
        return kinds.AUTHENTICATION
    if key.startswith("x-ms-exchange-crosstenant-"):
        return kinds.CROSS_TENANT
    if key in kinds.EXCHANGE_STAMP_KEYS:
        return kinds.EXCHANGE_STAMP
    return kinds.OTHER


def _assert_kinds_walked(headers: HeaderSet) -> None:
    for kind in ALL_KINDS:
        walked = [found for found in headers.fields if _kind_plainly(found.key) == kind]
        assert headers.of_kind(kind) == walked, kind
    assert headers.get_all("Received") == [f for f in headers.fields if f.key == "received"]


_NAMES = [
    "Received",
    "Authentication-Results",
    "ARC-Authentication-Results",
    "X-MS-Exchange-Authentication-Results",
    "Authentication-Results-Original",
    "Received-SPF",
    "X-MS-Exchange-CrossTenant-Id",
    "X-MS-Exchange-CrossTenant-FromEntityHeader",
    "X-MS-Exchange-CrossTenant-",
    "X-MS-Exchange-CrossTenan",
    "X-MS-Exchange-CrossTenantX",
    "X-OriginatorOrg",
    "X-MS-Exchange-Transport-EndToEndLatency",
    "X-Received",
    "Received-SPF-Extra",
    "From",
    "Subject",
]


def _spellings(rng: random.Random, name: str) -> str:
    return "".join(c.upper() if rng.random() < 0.5 else c.lower() for c in name)


def _mixed_sets(count: int, seed: int) -> list[HeaderSet]:
    rng = random.Random(seed)
    sets = []
    for _ in range(count):
        names = [_spellings(rng, rng.choice(_NAMES)) for _ in range(rng.randint(0, 30))]
        names += [f"X-Odd-{rng.randrange(10**6)}" for _ in range(rng.randint(0, 3))]
        rng.shuffle(names)
        text = "".join(f"{name}: value {n}\n" for n, name in enumerate(names))
        sets.append(parse_header_block(text) if names else HeaderSet())
    return sets


def test_each_kind_is_what_a_walk_over_the_fields_finds() -> None:
    sets = [read_header_source(data) for data in _sample_sets() + _generated_sets(20)]
    sets += _mixed_sets(300, seed=5)
    for headers in sets:
        _assert_kinds_walked(headers)
    assert sum(len(h.of_kind(kinds.CROSS_TENANT)) for h in sets) > 100


def test_sets_built_otherwise_and_fields_added_later_are_labelled_again() -> None:
    for parsed in _mixed_sets(60, seed=8):
        built = HeaderSet(fields=list(parsed.fields))  # no keys from the parser
        _assert_kinds_walked(built)
        added = HeaderField("Received", "from x.example", "from x.example", len(built), "received")
        built.fields.append(added)  # the same list, longer
        _assert_kinds_walked(built)
        _assert_kinds_walked(parsed)
        # another list of the same length: neither the keys the parser gave nor the labels
        # taken are these fields'
        parsed.fields = [
            HeaderField("X-MS-Exchange-CrossTenant-Id", "1", "1", n, "x-ms-exchange-crosstenant-id")
            for n in range(len(parsed.fields))
        ]
        _assert_kinds_walked(parsed)


def test_names_past_the_remembered_ones_are_labelled_all_the_same() -> None:
    remembered = dict(kinds._KNOWN)
    try:
        names = [f"x-ms-exchange-crosstenant-n{n}" for n in range(kinds._MAX_REMEMBERED + 50)]
        found = kinds.field_kinds([*names, "received", "x-originatororg"])
        assert set(found[:-2]) == {kinds.CROSS_TENANT}
        assert found[-2:] == bytes([kinds.RECEIVED, kinds.EXCHANGE_STAMP])
        assert len(kinds._KNOWN) <= kinds._MAX_REMEMBERED
    finally:
        kinds._KNOWN.clear()
        kinds._KNOWN.update(remembered)


def _parse_all_plainly(headers: HeaderSet) -> list[AuthResults]:
    from o365diag.headers.authres import parse_received_spf

    return [
        parse_received_spf(f.value, f.position)
        if f.key == "received-spf"
        else parse_ar(f.value, f.name, f.position)
        for f in headers.fields
        if f.key in kinds.VERDICT_HEADERS or f.key == "received-spf"
    ]


def test_the_verdict_reads_every_authentication_header_in_order() -> None:
    sets = [read_header_source(data) for data in _sample_sets() + _generated_sets(10)]
    sets += _mixed_sets(100, seed=9)
    for headers in sets:
        assert parse_all_in_full(headers) == _parse_all_plainly(headers)
