"""The shorter ways the stamp decoder and the diagnosis take give what the general ways give.

Each shortcut is held to the reading it replaced: SFS rule ids split in C against the
pattern, ARA ids without the filter when no id is empty, coded stamp values read once per
code, and the private-IP fix looked up only for findings whose catalogue entry has one.
"""

from __future__ import annotations

import random

from o365diag.headers import analyze, stamps
from o365diag.headers.parse import read_header_source
from o365diag.knowledge import load_table
from tests.test_headers_fast_paths import _generated_sets, _mutations, _sample_sets

_SFS = [
    "(9256216)(67909907)(86912784)",
    "(1)",
    "()",
    "()(7)",
    "(7)()",
    "(a)(b)(c)",
    "(a) (b)",
    "(a)x(b)",
    "((a))",
    "(a))(b)",
    "(a)(b",
    "a)(b)",
    "(a(b)",
    "(",
    ")",
    ")(",
    "",
    "no ids",
    "(9256216)(67909907);",
    "(x)(y)(z)(w)(v)(u)(t)",
]


def test_sfs_rule_ids_split_as_the_pattern_reads_them() -> None:
    values = _SFS + _mutations(_SFS, "()x ", 3000, seed=5)
    taken = 0
    for value in values:
        assert stamps._rule_ids(value) == stamps._SFS_ID.findall(value), value
        taken += value.startswith("(") and value.endswith(")")
    assert taken > len(values) // 4


def test_ara_ids_are_those_between_the_bars() -> None:
    values = ["1|2|3", "1||2", "|1|", "", "|", "||", "12", "1|2|"]
    values += _mutations(values[:2], "|1", 500, seed=9)
    for value in values:
        assert stamps._bar_separated(value) == [i for i in value.split("|") if i], value


def _decoded(data: bytes) -> list[stamps.AntispamStamps]:
    headers = read_header_source(data)
    return [stamps.decode_antispam(headers), stamps.decode_antispam(headers, untrusted=True)]


def test_stamps_match_a_reading_without_the_code_cache() -> None:
    """Every stored value, description and problem is what _description and int() give."""
    rng = random.Random(3)
    sets = _sample_sets() + _generated_sets(20)
    odd = ["SCL:5 (spam)", "SCL:x", "SCL: 7 ", "BCL:", "SFV:SPM (y)", "CAT:", "DIR: INB "]
    for _ in range(40):
        pairs = ";".join(rng.sample(odd, 3))
        sets.append(f"X-Forefront-Antispam-Report: {pairs};CIP:192.0.2.1\n".encode())
    for data in sets:
        for decoded in _decoded(data):
            for entry in decoded.decoded:
                name = entry["field"].lower()
                if name not in stamps._VALUE_TABLES:
                    continue
                value = decoded.values.get(name)
                plain = stamps._description(name, entry["value"], entry["header"], None)
                assert entry == plain
                if name in stamps._INT_FIELDS and not name.startswith("org_"):
                    expected = stamps._to_int(entry["value"])
                    assert value == expected or decoded.values.get(f"org_{name}") == value
                else:
                    assert value == (entry["value"] or None)
            for problem in decoded.problems:
                assert "is not a number" in problem or "given twice" in problem


def test_coded_values_of_one_message_are_not_remembered() -> None:
    """The code cache holds codes (SCL:1, SFV:SPM), never a per-message value."""

    def message(number: int) -> bytes:
        return (
            f"X-Forefront-Antispam-Report: CIP:192.0.2.{number % 250};SCL:1;SFV:SPM;"
            f"H:mx{number}.example.com;SFS:({number})(7{number});DIR:INB\n"
        ).encode()

    stamps.decode_antispam(read_header_source(message(0)))
    before = stamps._coded_value.cache_info().currsize
    for number in range(1, 40):
        stamps.decode_antispam(read_header_source(message(number)))
    assert stamps._coded_value.cache_info().currsize == before


_PRIVATE_SPF = (
    "Authentication-Results: spf={spf} (sender IP is {ip}) smtp.mailfrom=example.com;"
    " dkim=none (message not signed) header.d=none; dmarc={dmarc} action=none"
    " header.from=example.com;compauth={compauth} reason={reason}\n"
    "From: Scanner <scanner@example.com>\n"
    "To: a@example.com\n"
    "Subject: scan\n"
)


def _fixes(ip: str, spf: str, compauth: str, reason: str, dmarc: str = "fail") -> dict[str, str]:
    text = _PRIVATE_SPF.format(ip=ip, spf=spf, compauth=compauth, reason=reason, dmarc=dmarc)
    return {f.code: f.fix for f in analyze(text).findings}


def test_private_sending_ip_changes_the_fix_of_the_findings_that_have_another() -> None:
    with_text = {e.key for e in load_table("header_findings").entries if e.get("fix_private_ip")}
    assert {"spf-fail", "spf-softfail", "intra-org-spoof"} <= with_text
    for spf in ("fail", "softfail"):
        private = _fixes("10.1.2.3", spf, "fail", "010")
        public = _fixes("192.0.2.10", spf, "fail", "010")
        code = f"spf-{spf}"
        assert "10.1.2.3 is a private" in private[code] and private[code] != public[code]
        assert "is a private" in private["intra-org-spoof"]
        assert "is a private" not in public["intra-org-spoof"]
        # compauth-fail has no other fix: the private address leaves it as it is
        assert private["compauth-fail"] == public["compauth-fail"].replace("192.0.2.10", "10.1.2.3")
    # the one finding with another fix, beside SPF's pass
    spoofed = _fixes("10.1.2.3", "pass", "fail", "010")
    assert "spf-fail" not in spoofed and "is a private" in spoofed["intra-org-spoof"]
    passed = _fixes("10.1.2.3", "pass", "pass", "100", dmarc="pass")
    assert "auth-pass" in passed and "is a private" not in passed["auth-pass"]


def test_most_likely_takes_warnings_and_worse_as_the_comparison_would() -> None:
    from o365diag.findings import Finding, Severity
    from o365diag.headers.diagnose import most_likely

    for severity in Severity:
        found = most_likely([Finding("auth-pass", severity, "t")])
        assert (found is not None) == (severity >= Severity.WARNING), severity
    mixed = [
        Finding(code, severity, "t")
        for code, severity in [
            ("auth-pass", Severity.INFO),
            ("spf-fail", Severity.WARNING),
            ("dmarc-fail", Severity.ERROR),
            ("bulk", Severity.CRITICAL),
        ]
    ]
    lead = most_likely(mixed)
    assert lead is not None and lead.code == "bulk"


def test_stamps_to_dict_lists_every_one_value_field_in_order() -> None:
    for data in _sample_sets() + _generated_sets(5):
        for decoded in _decoded(data):
            written = decoded.to_dict()
            names = stamps._INT_FIELDS + stamps._TEXT_FIELDS
            assert list(written)[: len(names)] == list(names)
            assert all(written[name] == decoded.values.get(name) for name in names)
            assert list(written)[len(names) :] == [
                "sfs",
                "custom_spam",
                "mailbox_delivery",
                "fields",
                "headers",
            ]


def test_arc_instance_is_read_as_the_pattern_reads_it() -> None:
    from o365diag.headers import authres

    words = ["i=1", "i=12", "i=123", "i=1234", "i=", "i=x", "i=1x", "I=1", " i=1", "i=\u0663"]
    words += ["i=\u00b2", "i=1\n", "i=+1", "i=-1", "i= 1", "i=01", "i=\uff11\uff12", "ii=1"]
    for word in words:
        found = authres._INSTANCE.fullmatch(word)
        assert authres._is_instance(word) == (found is not None), word
        if found is not None:
            parsed = authres.parse_authentication_results(f"{word}; a.example; arc=pass")
            assert parsed.instance == int(found.group(1))


def test_free_text_stamp_descriptions_are_what_describe_gives() -> None:
    """CIP, CTRY, H, PTR ... are described in _store without _describe's call: the same
    entries, each a dict of its own."""
    compared = 0
    for data in _sample_sets() + _generated_sets(20):
        for decoded in _decoded(data):
            for entry in decoded.decoded:
                name = entry["field"].lower()
                if name in stamps._VALUE_TABLES or name in ("sfs", "ara", "x-customspam"):
                    continue
                assert entry == stamps._describe(name, entry["value"], entry["header"])
                compared += 1
            assert len({id(entry) for entry in decoded.decoded}) == len(decoded.decoded)
    assert compared > 100
