"""The header analysis result is typed end to end: every real output fits HeadersData key for
key, the verdict is built as data classes, and a saved result renders as a fresh one."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

from o365diag.capabilities import result_from_dict
from o365diag.headers import analyze
from o365diag.headers.analysis import build_analysis
from o365diag.headers.model import Authentication, HeadersData, HopData, Summary
from o365diag.headers.parse import read_header_source
from o365diag.headers.result import HeadersResult
from o365diag.recheck import recheck_live_dns
from o365diag.report import SharedReport
from o365diag.typed import OMIT_NONE, ModelError, dump, load, unnamed_keys
from tests.conftest import SAMPLES
from tests.dns_zones import DEVICE_IP, ready_zone
from tests.dnsserver import DnsTestServer
from tests.olewriter import compound_file
from tests.test_fuzz import header_blocks
from tests.test_headers_cli import HEADERS
from tests.test_headers_live_dns import HEADERS as LIVE_HEADERS
from tests.test_headers_robustness import CASES

SAMPLE_FILES = sorted(p for p in SAMPLES.iterdir() if p.suffix in (".txt", ".eml", ".msg"))
ODD_INPUTS: dict[str, str | bytes] = {
    "no authentication": "From: a@example.com\nSubject: plain\n",
    "unknown antispam code": "From: a@example.com\nX-Forefront-Antispam-Report: SFV:ZZZ;BCL:x\n",
    "dkim pass without a domain": (
        "Authentication-Results: mx.example.net; dkim=pass; spf=pass smtp.mailfrom=example.com\n"
        "From: a@example.com\n"
    ),
    "msg file": compound_file({"__substg1.0_007D001F": HEADERS.encode("utf-16-le")}),
    "mbox envelope": "From a@example.com Mon Nov 23 10:00:00 2026\n" + HEADERS,
    "lone stray line": "not a header\n" + HEADERS,
}


def assert_fits(result: HeadersResult) -> HeadersData:
    """The model describes all the JSON: it loads, names every key and dumps it back."""
    assert result.check_model() is None
    assert unnamed_keys(HeadersData, result.data) == []
    model = result.model
    assert dump(model) == result.data
    return model


@pytest.mark.parametrize("path", SAMPLE_FILES, ids=lambda p: p.name)
def test_every_sample_fits_the_model(path: Path) -> None:
    assert_fits(analyze(path.read_bytes(), name=path.name))


@pytest.mark.parametrize("name", list(ODD_INPUTS))
def test_odd_inputs_fit_the_model(name: str) -> None:
    source = ODD_INPUTS[name]
    model = assert_fits(analyze(source, name="in.msg" if name == "msg file" else "in.txt"))
    if name == "msg file":
        assert model.input.kind == "msg"


@pytest.mark.parametrize(
    "name", ["20,000 Received lines", "100,000 semicolons in the antispam report"]
)
def test_hostile_inputs_fit_the_model(name: str) -> None:
    model = assert_fits(analyze(CASES[name]()))
    if name.startswith("20,000"):
        assert model.skipped_hops > 0 and len(model.hops) == 1000


@given(block=header_blocks())
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_any_analyzable_block_fits_the_model(block: str) -> None:
    try:
        result = analyze(block, name="fuzz.txt")
    except ValueError:
        return  # no headers at all: an InputError, not a result
    assert_fits(result)


def test_the_verdict_and_summary_are_built_typed() -> None:
    analysis = build_analysis(
        read_header_source((SAMPLES / "04-external-spoof-dmarc-reject.txt").read_bytes())
    )
    assert isinstance(analysis.verdict.data, Authentication)
    assert isinstance(analysis.summary, Summary)
    assert analysis.verdict.data.dmarc.result == "fail"
    # the fast JSON of the analysis path is exactly what the generic dump gives
    assert analysis.verdict.data.to_json() == dump(analysis.verdict.data)
    assert analysis.summary.to_json() == dump(analysis.summary)
    assert "from" in analysis.summary.to_json() and "from_" not in analysis.summary.to_json()


def test_the_live_dns_record_fits_the_model() -> None:
    with DnsTestServer(ready_zone()) as server:
        result = recheck_live_dns(
            analyze(LIVE_HEADERS.format(ip=DEVICE_IP)), nameserver=server.address, timeout=3.0
        )
    model = assert_fits(result)
    assert model.live_dns is not None and model.live_dns.ip == DEVICE_IP
    assert "spf.ip-pass" in model.live_dns.findings


def test_a_result_without_live_dns_has_no_such_key() -> None:
    result = analyze(HEADERS)
    assert "live_dns" not in result.data
    assert "live_dns" not in dump(result.model)


@pytest.mark.parametrize("path", SAMPLE_FILES[:6], ids=lambda p: p.name)
def test_a_saved_result_renders_as_the_fresh_one(path: Path) -> None:
    fresh = analyze(path.read_bytes(), name=path.name)
    saved = result_from_dict(json.loads(fresh.to_json()))
    assert isinstance(saved, HeadersResult)
    assert saved.to_text() == fresh.to_text()
    assert saved.body_html() == fresh.body_html()
    assert saved.facts() == fresh.facts()
    assert [f.to_json() for f in saved.figures()] == [f.to_json() for f in fresh.figures()]


def test_an_odd_save_falls_back_to_the_generic_view() -> None:
    saved = json.loads(analyze((SAMPLES / "11-slow-hop-smart-host.txt").read_bytes()).to_json())
    saved["hops"][0]["index"] = "first"
    saved["authentication"]["dkim"] = {"not": "a list"}
    result = result_from_dict(saved)
    assert "authentication.dkim: expected a list" in (result.check_model() or "")
    with pytest.raises(ModelError):
        result.body_html()
    section = result.section_html()
    assert "Details" in section and "first" in section
    assert result.safe_figures() == []
    assert "Header analysis" in SharedReport.build([result]).to_html()


def test_views_read_the_typed_hops() -> None:
    model = analyze((SAMPLES / "12-clock-skew-relay.txt").read_bytes()).model
    skewed = [hop for hop in model.hops if hop.clock_skew]
    assert skewed and all(isinstance(hop, HopData) for hop in model.hops)
    assert skewed[0].delay_seconds is not None and skewed[0].delay_seconds < 0
    assert model.hops[0].names()["from"] == model.hops[0].from_


# -- what typed.py gained for this model ---------------------------------------------------------
@dataclass
class Keyed:
    from_: str
    with_: str | None = None
    note: str | None = field(default=None, metadata=OMIT_NONE)


def test_a_keyword_key_is_a_field_with_a_trailing_underscore() -> None:
    loaded = load(Keyed, {"from": "a", "with": "b"})
    assert loaded == Keyed("a", "b")
    assert dump(loaded) == {"from": "a", "with": "b"}
    assert unnamed_keys(Keyed, {"from": "a", "from_": "x"}) == ["data.from_"]
    with pytest.raises(ModelError, match="'from' is missing"):
        load(Keyed, {"with": "b"})


def test_an_omitted_key_stays_omitted_until_it_has_a_value() -> None:
    assert "note" not in dump(Keyed("a"))
    assert dump(Keyed("a", note="n"))["note"] == "n"
    assert load(Keyed, {"from": "a", "note": "n"}).note == "n"
