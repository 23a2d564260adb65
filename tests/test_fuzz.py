"""Property-based fuzzing of every parser and loader (hypothesis).

Each property feeds generated input, shaped like the real thing and salted with hostile pieces
(impossible dates, long numbers, lone surrogates, control characters, deep nesting, RFC 2047
words, macros), to one entry point and asserts that it either works or raises one of
o365diag's own errors (the ``O365DiagError`` tree), within a time bound per input.

``make test`` runs a few examples of each, derandomized (the same inputs every run). ``make
fuzz`` runs the same properties with many more, random ones: ``O365DIAG_FUZZ_EXAMPLES`` sets
how many per property (default there 2,000), ``--hypothesis-seed=N`` replays a run.
"""

from __future__ import annotations

import json
import os
import string
import time
from collections.abc import Callable
from typing import Any, TypeVar

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from o365diag.errors import O365DiagError
from o365diag.trace.writers import V2_COLUMNS as V2_EXPORT_COLUMNS

T = TypeVar("T")

FUZZ_EXAMPLES = int(os.environ.get("O365DIAG_FUZZ_EXAMPLES", "0") or 0)
FUZZING = FUZZ_EXAMPLES > 0
# Seconds one input may take; generous, since the suite shares two cores with other work.
FAST, SLOW = 3.0, 20.0


def fuzz(examples: int) -> Callable[[T], T]:
    """Settings for one property: ``examples`` in the suite, derandomized; the fuzz count and
    random inputs under ``make fuzz``."""
    return settings(
        max_examples=FUZZ_EXAMPLES if FUZZING else examples,
        derandomize=not FUZZING,
        database=None,
        deadline=None,  # the time bound is asserted per input, below
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
        print_blob=True,
    )


def survives(call: Callable[[], Any], limit: float = FAST) -> Any:
    """Run ``call``: its result, or None when it raised an O365DiagError; anything else
    propagates and fails the property. Fails too when it took longer than ``limit``."""
    started = time.perf_counter()
    try:
        result = call()
    except O365DiagError:
        result = None
    elapsed = time.perf_counter() - started
    assert elapsed < limit, f"one input took {elapsed:.1f} s (bound {limit:g} s)"
    return result


def assert_utf8(text: str) -> None:
    text.encode("utf-8")  # strict: a lone surrogate would raise here


def survives_as_utf8(call: Callable[[], str], limit: float = FAST) -> None:
    """``survives``, and the text it made (when it made one) is valid UTF-8."""
    text = survives(call, limit)
    if text is not None:
        assert_utf8(text)


# -- shared pieces --------------------------------------------------------------------------------
HOSTILE_WORDS = [
    "",
    " ",
    "\t",
    "\x00",
    "\x7f",
    "\u2028",
    "\ud800",
    "\udfff",
    "\ufffd",
    "\ufeff",
    "prêt",
    "bücher-shop.example",
    "xn--bcher-shop-9db.example",
    "пример.рф",
    "9" * 4301,
    "-0",
    "1e308",
    "NaN",
    "Infinity",
    "1/1/0001 12:00:00 AM",
    "0000-01-01T00:00:00Z",
    "/Date(-62135596800001)/",
    "/Date(253402300800000)/",
    "31/12/9999 23:59:59",
    "2025-06-16T18:10:41+14:00",
    "=?utf-8?B?w6k=?=",
    "=?idna?B?eG4tLQ==?=",
    "=?rot13?Q?nop?=",
    "=?zlib?B?eJw=?=",
    "=?unknown-8bit?Q?=FF?=",
    "((((((",
    "))))",
    '"unterminated',
    "\\",
    "%{i}",
    "%{ir}.%{v}._spf.%{d2}",
    "%{",
    "192.0.2.1",
    "2001:db8::1",
    "[IPv6:2001:db8::1]",
    "203.0.113.0/24",
    "10.0.0.0/8",
    "user@example.com",
    "<m@example.com>",
    ";",
    "=",
    ":",
    ",",
]
hostile_word = st.sampled_from(HOSTILE_WORDS)
any_text = st.text(max_size=80)
short_text = st.one_of(hostile_word, any_text, st.text(string.printable, max_size=40))


def joined(parts: st.SearchStrategy[str], separators: str = " ;=:,()\t") -> st.SearchStrategy[str]:
    """Text made of ``parts`` glued by separators the parsers split on."""
    glue = st.sampled_from([*separators, " ", "; ", "\r\n ", ""])
    return st.lists(st.tuples(parts, glue), max_size=24).map(
        lambda pieces: "".join(p + g for p, g in pieces)
    )


json_leaf = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    short_text,
)


def _containers(children: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(
        st.lists(children, max_size=6), st.dictionaries(short_text, children, max_size=6)
    )


def json_values(max_leaves: int = 40) -> st.SearchStrategy[Any]:
    return st.recursive(json_leaf, _containers, max_leaves=max_leaves)


def json_text(value: Any) -> str:
    """JSON as an exporter might write it; lone surrogates stay escaped, as in a real file."""
    return json.dumps(value, ensure_ascii=True, allow_nan=True)


def nested(depth: int, leaf: Any = "x") -> Any:
    value = leaf
    for _ in range(depth):
        value = [value]
    return value


# -- headers: text, .eml, .msg ---------------------------------------------------------------------
HEADER_NAMES = [
    "From",
    "To",
    "Cc",
    "Subject",
    "Date",
    "Message-ID",
    "Return-Path",
    "Received",
    "Authentication-Results",
    "ARC-Authentication-Results",
    "Received-SPF",
    "DKIM-Signature",
    "X-MS-Exchange-Authentication-Results",
    "X-Forefront-Antispam-Report",
    "X-Forefront-Antispam-Report-Untrusted",
    "X-Microsoft-Antispam",
    "X-MS-Exchange-Organization-SCL",
    "X-MS-Exchange-Organization-AuthAs",
    "X-MS-Exchange-Organization-AuthSource",
    "X-MS-Exchange-CrossTenant-Id",
    "Content-Type",
    "X-Unknown",
]
HEADER_WORDS = [
    "spf=pass",
    "spf=fail",
    "dkim=pass",
    "dkim=none",
    "dmarc=fail",
    "action=none",
    "compauth=fail",
    "reason=601",
    "header.d=",
    "header.from=",
    "smtp.mailfrom=",
    "header.s=",
    "from",
    "by",
    "with",
    "ESMTPS",
    "id",
    "for",
    "via",
    "(version=TLS1_2, cipher=TLS_ECDHE)",
    "Mon, 16 Jun 2025 18:10:41 +0000",
    "Thu, 1 Jan 1970 00:00:00 -0000",
    "Sat, 32 Feb 2025 25:61:61 +9999",
    "CIP:192.0.2.1",
    "SFV:SPM",
    "SCL:9",
    "BCL:99",
    "CAT:PHSH",
    "IPV:CAL",
    "Internal",
    "Anonymous",
    "group:",
    "<a@b>",
]
header_value = joined(st.one_of(st.sampled_from(HEADER_WORDS), short_text))


@st.composite
def header_blocks(draw: st.DrawFn) -> str:
    lines = []
    for _ in range(draw(st.integers(0, 12))):
        name = draw(st.one_of(st.sampled_from(HEADER_NAMES), st.text(min_size=1, max_size=12)))
        lines.append(f"{name}: {draw(header_value)}")
    eol = draw(st.sampled_from(["\r\n", "\n", "\r"]))
    return eol.join(lines) + draw(st.sampled_from(["", eol, eol + eol + "body"]))


def deep_groups(depth: int) -> str:
    return "From: " + "g:" * depth + "a@example.com" + ";" * depth + "\r\n"


@given(block=header_blocks(), as_bytes=st.booleans())
@fuzz(60)
def test_fuzz_header_text(block: str, as_bytes: bool) -> None:
    from o365diag.headers.analysis import analyze

    source: str | bytes = block.encode("utf-8", "surrogatepass") if as_bytes else block
    result = survives(lambda: analyze(source, name="fuzz.txt"))
    if result is not None:
        assert_utf8(result.to_json())


@given(
    head=st.sampled_from([b"", b"From: a@example.com\r\n", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"]),
    body=st.binary(max_size=600),
)
@fuzz(40)
def test_fuzz_header_bytes(head: bytes, body: bytes) -> None:
    from o365diag.headers.analysis import analyze

    survives(lambda: analyze(head + body, name="fuzz.eml"))


@given(
    headers=header_blocks(),
    codec=st.sampled_from(["utf-16-le", "latin-1", "utf-8"]),
    storage=st.booleans(),
)
@fuzz(20)
def test_fuzz_msg_files(headers: str, codec: str, storage: bool) -> None:
    from o365diag.headers.analysis import analyze
    from tests.olewriter import compound_file

    suffix = "001F" if codec == "utf-16-le" else "001E"
    entries: dict[str, bytes | None] = {
        f"__substg1.0_007D{suffix}": None
        if storage
        else headers.encode(codec, "replace").replace(b"\x00\x00", b"")
    }
    survives(lambda: analyze(compound_file(entries), name="fuzz.msg"))


def test_fuzz_header_hard_shapes() -> None:
    """Shapes too big for a generator: nesting and counts from the issue's hostile list."""
    from o365diag.headers.analysis import analyze

    received = "".join(
        f"Received: from h{i}.example.com by h{i + 1}.example.com; "
        f"Mon, 16 Jun 2025 18:{i % 60:02d}:00 +0000\r\n"
        for i in range(100_000)
    )
    for block, limit in (
        (deep_groups(1000), FAST),
        (received, SLOW),
        ("Authentication-Results: x; dkim=pass\r\nFrom: a@example.com\r\n", FAST),
        ("Subject: " + "=?idna?B?eG4tLWJjaGVyLTlkYg==?= " * 200 + "\r\n", FAST),
    ):
        survives(lambda block=block: analyze(block, name="hard.txt"), limit)


@given(value=header_value)
@fuzz(150)
def test_fuzz_authentication_results(value: str) -> None:
    from o365diag.headers.authres import parse_authentication_results, parse_received_spf

    survives(lambda: parse_authentication_results(value))
    survives(lambda: parse_received_spf(value))


@given(values=st.lists(header_value, max_size=8))
@fuzz(100)
def test_fuzz_received(values: list[str]) -> None:
    from o365diag.headers.received import build_chain, parse_date, parse_received

    for value in values:
        survives(lambda value=value: parse_received(value))
        survives(lambda value=value: parse_date(value))
    chain = survives(lambda: build_chain(values))
    if chain is not None:
        json.dumps([hop.to_dict() for hop in chain.hops])


# -- message trace ---------------------------------------------------------------------------------
TRACE_HEADERS = [
    "Received",
    "SenderAddress",
    "RecipientAddress",
    "Subject",
    "Status",
    "FromIP",
    "ToIP",
    "Size",
    "MessageId",
    "MessageTraceId",
    "Date (UTC)",
    "Event",
    "Direction",
    "Count",
]
trace_value = st.one_of(
    st.sampled_from(
        [
            "6/16/2025 6:10:41 PM",
            "16/06/2025 18:10:41",
            "16.06.2025 18:10:41",
            "2025-06-16T18:10:41Z",
            "2025/06/16 18:10:41",
            "Delivered",
            "Failed",
            "FilteredAsSpam",
            "Quarantined",
            "Pending",
            "scanner@example.com",
            "rcpt@example.net",
            "24 KB",
            "1.5 MB",
        ]
    ),
    short_text,
)


# Get-MessageTraceV2's columns: with these the loader recognises the export and goes on to the
# dates, sizes and the analysis, where most of the hostile values bite.
V2_COLUMNS = list(V2_EXPORT_COLUMNS)
DATE_VALUES = [
    "6/16/2025 6:10:41 PM",
    "6/17/2025 7:00:00 AM",
    "1/1/0001 12:00:00 AM",
    "1/1/0000 12:00:00 AM",
    "6/16/1970 6:10:41 PM",
    "6/16/2205 6:10:41 PM",
    "2/30/2025 1:00:00 PM",
    "13/13/2025 25:00:00",
]


def trace_row(columns: list[str]) -> st.SearchStrategy[list[str]]:
    """One row with a value for each column, a date (maybe an impossible one) where one goes."""
    date = st.sampled_from(DATE_VALUES)  # the ragged row brings the other junk
    return st.tuples(
        *(date if column in ("Received", "Date (UTC)") else trace_value for column in columns)
    ).map(list)


def csv_field(value: str) -> str:
    return '"' + value.replace('"', '""') + '"'


@st.composite
def trace_csv(draw: st.DrawFn) -> bytes:
    some_columns = st.lists(st.sampled_from(TRACE_HEADERS), min_size=1, max_size=8, unique=True)
    columns = draw(st.one_of(st.just(V2_COLUMNS), some_columns))
    row = st.lists(trace_value, min_size=0, max_size=len(columns) + 2)
    rows = draw(st.lists(trace_row(columns), max_size=8))
    if draw(st.booleans()):  # and a ragged one somewhere
        rows.insert(draw(st.integers(0, len(rows))), draw(row))
    separator = draw(st.sampled_from([",", ";", "\t"]))
    lines = [separator.join(csv_field(c) for c in columns)]
    lines += [separator.join(csv_field(v) for v in row) for row in rows]
    text = "\r\n".join(lines)
    encoding = draw(st.sampled_from(["utf-8", "utf-16", "cp1252"]))
    return text.encode(encoding, "surrogatepass" if encoding == "utf-8" else "replace")


@st.composite
def trace_json(draw: st.DrawFn) -> bytes:
    keys = st.one_of(st.sampled_from(TRACE_HEADERS), short_text)
    loose = st.dictionaries(keys, st.one_of(trace_value, json_values(8)), max_size=8)
    v2 = trace_row(V2_COLUMNS).map(lambda values: dict(zip(V2_COLUMNS, values, strict=True)))
    record = st.one_of(v2, v2, loose)
    records = draw(st.lists(record, max_size=5))
    shape = draw(st.sampled_from(["list", "graph", "lines", "deep"]))
    if shape == "graph":
        return json_text({"value": records}).encode()
    if shape == "lines":
        return "\n".join(json_text(r) for r in records).encode()
    if shape == "deep":
        return json_text(nested(draw(st.integers(100, 1200)), records)).encode()
    return json_text(records).encode()


@given(data=st.one_of(trace_csv(), trace_json()), interval=st.sampled_from(["auto", "1m", "1h"]))
@fuzz(25)
def test_fuzz_trace_loaders(data: bytes, interval: str) -> None:
    from o365diag.trace import analyze_trace, load_traces

    def load_and_analyze() -> str:
        analysis = analyze_trace(load_traces([("fuzz.csv", data)]), interval=interval)
        return analysis.to_report().to_json()

    survives_as_utf8(load_and_analyze, SLOW)


# -- configuration audit ---------------------------------------------------------------------------
AUDIT_KEYS = [
    "Name",
    "Identity",
    "Enabled",
    "ConnectorType",
    "SenderIPAddresses",
    "SenderDomains",
    "RequireTls",
    "RestrictDomainsToIPAddresses",
    "TlsSenderCertificateName",
    "SmtpClientAuthenticationDisabled",
    "PrimarySmtpAddress",
    "IPAllowList",
    "EnableSafeList",
    "AllowBasicAuthSmtp",
    "RejectDirectSend",
    "SmartHosts",
    "TlsSettings",
    "AllowLegacyTLSClients",
]
audit_value = st.one_of(
    st.booleans(),
    st.none(),
    short_text,
    st.lists(
        st.one_of(short_text, st.sampled_from(["192.0.2.1", "10.0.0.0/8", "a-b"])), max_size=5
    ),
    json_values(6),
)


@given(
    objects=st.lists(
        st.dictionaries(st.sampled_from(AUDIT_KEYS), audit_value, max_size=10), max_size=4
    ),
    encoding=st.sampled_from(["utf-8", "utf-16", "utf-8-sig"]),
    wrap=st.booleans(),
)
@fuzz(50)
def test_fuzz_audit_exports(objects: list[dict[str, Any]], encoding: str, wrap: bool) -> None:
    from o365diag.setup.audit import AuditContext, audit_exports
    from o365diag.setup.exports import parse_export

    text = json_text({"value": objects, "Count": len(objects)} if wrap else objects)
    data = text.encode(encoding)

    def load_and_audit() -> str:
        exported = parse_export(data, "fuzz.json")
        return audit_exports(AuditContext([exported], (), ())).to_json()

    survives_as_utf8(load_and_audit)


# -- saved results for `o365diag report` -----------------------------------------------------------
_SAVED: list[dict[str, Any]] = []


def saved_results() -> list[dict[str, Any]]:
    """Real saved results (headers, SMTP demo, audit), made once."""
    if not _SAVED:
        from o365diag.headers.analysis import analyze
        from o365diag.setup.audit import audit_files
        from tests.conftest import REPO, SAMPLES

        for sample in sorted(SAMPLES.glob("*.txt"))[:3]:
            _SAVED.append(json.loads(analyze(sample.read_bytes(), name=sample.name).to_json()))
        bad = sorted(str(p) for p in (REPO / "sample_exports" / "bad-tenant").glob("*.json"))
        _SAVED.append(json.loads(audit_files(bad).to_json()))
    return _SAVED


@st.composite
def mutated_result(draw: st.DrawFn) -> Any:
    """A saved result with some of its values replaced by hostile ones."""
    result = json.loads(json.dumps(draw(st.sampled_from(saved_results()))))
    for _ in range(draw(st.integers(0, 6))):
        _replace_somewhere(result, draw(json_values(10)), draw)
    return result


def _replace_somewhere(value: Any, new: Any, draw: st.DrawFn) -> None:
    node = value
    for _ in range(6):
        keys = list(node) if isinstance(node, dict) else list(range(len(node)))
        if not keys:
            return
        key = draw(st.sampled_from(keys))
        child = node[key]
        if not isinstance(child, dict | list) or draw(st.booleans()):
            if key != "schema":
                node[key] = new
            return
        node = child


@given(
    saved=st.one_of(mutated_result(), json_values(20)),
    redact=st.booleans(),
    depth=st.sampled_from([0, 0, 0, 70, 250]),
)
@fuzz(30)
def test_fuzz_report_loader(saved: Any, redact: bool, depth: int) -> None:
    from o365diag.report import SharedReport, load_input

    data = json_text(nested(depth, saved) if depth else saved).encode()

    def load_and_render() -> str:
        results, notes = load_input(data, "fuzz.json")
        shared = SharedReport.build(results, redact=redact, notes=notes)
        return shared.to_html() + shared.to_markdown()

    survives_as_utf8(load_and_render, SLOW)


# -- DNS records -----------------------------------------------------------------------------------
SPF_TERMS = [
    "v=spf1",
    "include:spf.protection.outlook.com",
    "include:%{d}",
    "include:",
    "a",
    "a:mail.example.com/24",
    "a//64",
    "mx",
    "mx:example.com/33",
    "ip4:192.0.2.0/24",
    "ip4:192.0.2.1/99",
    "ip6:2001:db8::/32",
    "ip6:",
    "exists:%{i}.%{l1r+-}._spf.%{d}",
    "ptr",
    "ptr:example.com",
    "redirect=_spf.example.com",
    "exp=explain.%{d}",
    "all",
    "-all",
    "~all",
    "?all",
    "+all",
    "unknown=x",
    "x-modifier=%{",
]
spf_record = joined(st.one_of(st.sampled_from(SPF_TERMS), short_text), " ")


@given(record=st.one_of(spf_record.map(lambda r: "v=spf1 " + r), spf_record))
@fuzz(200)
def test_fuzz_spf_record_parser(record: str) -> None:
    from o365diag.dns.spf_syntax import SpfRecord, tokenize_macros

    survives(lambda: SpfRecord.parse(record))
    survives(lambda: tokenize_macros(record, explain=True))


DMARC_TAGS = [
    "v=DMARC1",
    "p=none",
    "p=reject",
    "p=quarantine",
    "sp=bogus",
    "pct=150",
    "pct=-1",
    "pct=" + "9" * 4301,
    "rua=mailto:dmarc@example.com",
    "rua=mailto:",
    "ruf=mailto:a@b!10m",
    "adkim=s",
    "aspf=x",
    "fo=1:d:s",
    "ri=86400",
    "ri=" + "1" * 40,
    "np=reject",
]
dmarc_record = joined(st.one_of(st.sampled_from(DMARC_TAGS), short_text), ";")


@given(record=dmarc_record)
@fuzz(200)
def test_fuzz_dmarc_parser(record: str) -> None:
    from o365diag.dns.dmarc import parse_dmarc

    policy = survives(lambda: parse_dmarc(record))
    if policy is not None:
        survives(lambda: json.dumps(policy.tags))


# -- redaction ------------------------------------------------------------------------------------
secret_value = st.text(string.ascii_letters + string.digits, min_size=12, max_size=24).filter(
    lambda s: any(c.isdigit() for c in s) and any(c.isalpha() for c in s)
)


@given(text=joined(st.one_of(st.sampled_from(HEADER_WORDS), short_text)), secret=secret_value)
@fuzz(150)
def test_fuzz_redaction_text(text: str, secret: str) -> None:
    from o365diag.redact import Redactor

    redactor = Redactor(secrets=[secret])
    out = survives(lambda: redactor.text(f"{text} {secret} {text}"))
    assert out is not None and secret not in out


@given(value=json_values(30), anonymize=st.booleans())
@fuzz(100)
def test_fuzz_redaction_data(value: Any, anonymize: bool) -> None:
    from o365diag.redact import Redactor

    survives(lambda: json.dumps(Redactor(anonymize=anonymize).data(value)))


# -- SMTP replies (the filter every server reply passes) -------------------------------------------
@given(
    lines=st.lists(st.one_of(short_text, st.sampled_from(["hunter", "2-secret"])), max_size=6),
    cuts=st.lists(st.integers(0, 400), max_size=6),
    split=st.integers(1, 14),
)
@fuzz(150)
def test_fuzz_smtp_reply_filter(lines: list[str], cuts: list[int], split: int) -> None:
    from o365diag.smtp.scrub import ReplyFilter, Scrubber

    secret = "hunter2-secret"
    parts = [secret[:split], secret[split:]]
    body = [
        *(f"535-5.7.8 {line}" for line in lines),
        f"535-5.7.8 {parts[0]}",
        f"535 5.7.8 {parts[1]}",
    ]
    wire = "\r\n".join(line.replace("\r", "").replace("\n", "") for line in body) + "\r\n"
    data = wire.encode("utf-8", "surrogatepass")
    reply_filter = ReplyFilter(Scrubber([secret]), limit=4096)
    out, start = b"", 0
    for cut in [*sorted(cuts), len(data)]:
        out += survives(lambda cut=cut, start=start: reply_filter.feed(data[start:cut]) or b"")
        start = max(start, cut)
    out += reply_filter.flush()
    text = out.decode("utf-8")  # strict: the filter passes on valid UTF-8 only
    payloads = "".join(line[10:] for line in text.split("\r\n"))
    assert secret not in payloads
