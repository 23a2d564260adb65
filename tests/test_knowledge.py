"""The knowledge tables: they load, every fact has a source, and lookups give the right entry."""

from __future__ import annotations

import json
from collections import Counter
from importlib import resources
from typing import Any

import pytest

from o365diag.knowledge import STATUSES, Entry, KnowledgeError, Table, load_table, table_names


def words(text: str) -> set[str]:
    return set(text.split())


HEADER_TABLES = sorted(
    words(
        "compauth_reason auth_result dmarc_action antispam_field antispam_cat antispam_sfv "
        "antispam_ipv antispam_dir antispam_sfty antispam_srv antispam_arc scl bcl pcl "
        "custom_spam mailbox_delivery auth_as directionality from_entity org_header"
    )
)

SPF_RESULTS = sorted(words("pass fail softfail neutral none temperror permerror"))
DKIM_RESULTS = sorted(words("pass fail none policy neutral temperror permerror"))
DMARC_RESULTS = sorted(words("pass fail bestguesspass none temperror permerror"))
UNKNOWN_DELIVERY_TOKENS = sorted(words("ucf jmr wl abwl pcwl kl iwl ijl dwl dkl rwl ex psp"))

REQUIRED_KEYS = {
    "compauth_reason": words(
        "000 001 002 010 1xx 7xx 130 111 116 2xx 3xx 4xx 9xx 6xx 601 5xx 451 452"
    ),
    "auth_result": {
        *(f"spf.{r}" for r in SPF_RESULTS),
        *(f"dkim.{r}" for r in DKIM_RESULTS),
        *(f"dmarc.{r}" for r in DMARC_RESULTS),
        *(f"arc.{r}" for r in ("pass", "fail", "none")),
        *(f"compauth.{r}" for r in ("pass", "fail", "softpass", "none")),
    },
    "dmarc_action": words(
        "none oreject o.reject pct.quarantine pct.reject permerror temperror quarantine reject "
        "opctreject"
    ),
    "antispam_field": words(
        "ARC CAT CIP CTRY DIR H IPV LANG PTR SCL PCL SFTY SFV SRV SFS SFP EFV MX ARA BCL "
        "X-CustomSpam"
    ),
    "antispam_cat": words(
        "AMP BIMP BULK DIMP FTBP GIMP HPHSH HPHISH HSPM INTOS MALW OSPM PHSH SAP SPM SPOOF UIMP "
        "NONE"
    ),
    "antispam_sfv": words("BLK NSPM SFE SKA SKB SKI SKN SKQ SKS SPM DMS"),
    "antispam_ipv": {"CAL", "NLI"},
    "antispam_dir": words("INB OUT INT OUB OTB"),
    "antispam_sfty": {"9.19", "9.20", "9.25"},
    "antispam_srv": {"BULK"},
    "antispam_arc": {"AAR", "AMS", "AS"},
    "scl": {"-1", *(str(n) for n in range(10))},
    "bcl": {str(n) for n in range(10)},
    "pcl": {str(n) for n in range(9)},
    "mailbox_delivery": {
        "dest:I",
        "dest:J",
        "dest:C",
        "OFR:SpamFilterAuthJ",
        "RF:JunkEmail",
        "auth:0",
        "auth:1",
        *UNKNOWN_DELIVERY_TOKENS,
    },
    "auth_as": words("Anonymous Internal External Partner Organization"),
    "directionality": {"Originating", "Incoming"},
    "from_entity": {"Internet", "Hosted"},
}

COMPAUTH_KINDS = words(
    "explicit-fail implicit-fail org-block intra-org-spoof pass arc-override ptr-fallback "
    "softpass not-checked bypassed unknown"
)
# First digit of a compauth reason -> the compauth result Microsoft documents for that family.
COMPAUTH_FAMILY_RESULT = dict(
    pair.split(":") for pair in words("0:fail 1:pass 7:pass 2:softpass 3:none 4:none 9:none 6:fail")
)
MAX_MEANING = 200


def raw_table(name: str) -> dict[str, Any]:
    text = (resources.files("o365diag.knowledge") / f"{name}.json").read_text(encoding="utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


def duplicate_keys(raw: dict[str, Any]) -> list[str]:
    """Keys that collide once normalised the way lookups normalise them."""
    case_sensitive = bool(raw.get("case_sensitive", False))
    keys = [str(item["key"]) for item in raw["entries"]]
    counted = Counter(k if case_sensitive else k.lower() for k in keys)
    return sorted(k for k, n in counted.items() if n > 1)


def is_url(value: object) -> bool:
    return isinstance(value, str) and value.startswith(("https://", "http://")) and " " not in value


def entry(table: str, key: str) -> Entry:
    found = load_table(table).lookup(key)
    assert found is not None, f"{table}: no entry for {key!r}"
    return found


# --- every table ------------------------------------------------------------------------------


def test_every_header_table_is_shipped() -> None:
    assert set(HEADER_TABLES) <= set(table_names())


@pytest.mark.parametrize("name", table_names())
def test_every_table_loads_with_sources_and_statuses(name: str) -> None:
    table = load_table(name)
    assert isinstance(table, Table) and table.entries
    for item in table.entries:
        assert is_url(item.source), f"{name}:{item.key} source {item.source!r}"
        assert item.status in STATUSES
        assert item.meaning.strip(), f"{name}:{item.key} has an empty meaning"


@pytest.mark.parametrize("name", table_names())
def test_keys_are_unique_per_table(name: str) -> None:
    assert duplicate_keys(raw_table(name)) == []


def test_duplicate_check_catches_a_collision() -> None:
    raw = {"entries": [{"key": "SKN"}, {"key": "skn"}, {"key": "SKA"}]}
    assert duplicate_keys(raw) == ["skn"]
    assert duplicate_keys({**raw, "case_sensitive": True}) == []


@pytest.mark.parametrize("name", HEADER_TABLES)
def test_header_table_entries_name_their_own_source(name: str) -> None:
    for item in raw_table(name)["entries"]:
        assert is_url(item.get("source")), f"{name}:{item['key']} relies on the table default"
        for extra in item.get("more_sources", []):
            assert is_url(extra), f"{name}:{item['key']} more_sources {extra!r}"
        assert len(item["meaning"]) <= MAX_MEANING, f"{name}:{item['key']} meaning too long"


@pytest.mark.parametrize("name", sorted(REQUIRED_KEYS))
def test_required_keys_are_present(name: str) -> None:
    assert REQUIRED_KEYS[name] <= set(load_table(name).key_list())


def test_missing_table_is_a_knowledge_error() -> None:
    with pytest.raises(KnowledgeError):
        load_table("no_such_table")


# --- compauth ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("reason", "expected_key"),
    [
        ("601", "601"),
        ("612", "6xx"),
        ("130", "130"),
        ("199", "1xx"),
        ("111", "111"),
        ("705", "7xx"),
        ("503", "5xx"),
        ("000", "000"),
        ("905", "9xx"),
        ("451", "451"),
        (" 452 ", "452"),
    ],
)
def test_compauth_reason_lookup(reason: str, expected_key: str) -> None:
    assert entry("compauth_reason", reason).key == expected_key


def test_compauth_unknown_family_and_garbage_give_nothing() -> None:
    table = load_table("compauth_reason")
    for reason in ("800", "1000", "13", "", "abc", None):
        assert table.lookup(reason) is None


def test_compauth_statuses_follow_the_sources() -> None:
    assert entry("compauth_reason", "503").status == "unknown"
    assert entry("compauth_reason", "503").get("kind") == "unknown"
    assert entry("compauth_reason", "451").status == "observed"
    assert entry("compauth_reason", "452").status == "observed"
    assert entry("compauth_reason", "130").get("kind") == "arc-override"
    assert entry("compauth_reason", "116").get("kind") == "ptr-fallback"
    assert entry("compauth_reason", "010").get("kind") == "intra-org-spoof"


def test_compauth_results_match_the_documented_families() -> None:
    for item in load_table("compauth_reason").entries:
        kind, result = item.get("kind"), item.get("result")
        assert kind in COMPAUTH_KINDS, item.key
        if item.status == "unknown":
            assert result is None, item.key
            continue
        assert result == COMPAUTH_FAMILY_RESULT[item.key[0]], item.key


def test_compauth_results_are_described_in_auth_result() -> None:
    results = {e.get("result") for e in load_table("compauth_reason").entries} - {None}
    described = {
        e.key.split(".", 1)[1]
        for e in load_table("auth_result").entries
        if e.key.startswith("compauth.")
    }
    assert results == described


# --- authentication results and DMARC actions --------------------------------------------------


def test_auth_result_keys_are_method_dot_result() -> None:
    for item in load_table("auth_result").entries:
        method, _, result = item.key.partition(".")
        assert method in {"spf", "dkim", "dmarc", "arc", "compauth"} and result, item.key


def test_auth_result_lookup_ignores_case() -> None:
    assert entry("auth_result", "SPF.SoftFail").key == "spf.softfail"
    assert load_table("auth_result").lookup("spf.bogus") is None


def test_dmarc_action_aliases_point_at_real_entries() -> None:
    table = load_table("dmarc_action")
    for item in table.entries:
        alias = item.get("same_as")
        if alias is not None:
            assert table.lookup(alias) is not None, item.key
    assert entry("dmarc_action", "opctreject").status == "observed"


# --- anti-spam report --------------------------------------------------------------------------


def test_antispam_field_lookup_is_case_insensitive() -> None:
    assert load_table("antispam_field").case_sensitive is False
    assert entry("antispam_field", "sfv").key == "SFV"
    assert entry("antispam_field", "x-customspam").key == "X-CustomSpam"


@pytest.mark.parametrize("name", ["antispam_field", "org_header"])
def test_value_tables_named_by_fields_exist(name: str) -> None:
    shipped = set(table_names())
    for item in load_table(name).entries:
        values = item.get("values")
        if values is not None:
            assert values in shipped, f"{name}:{item.key} names missing table {values!r}"


@pytest.mark.parametrize("name", ["antispam_sfv", "antispam_srv", "antispam_sfty", "antispam_cat"])
def test_documented_verdict_values_name_their_component(name: str) -> None:
    for item in load_table(name).entries:
        if item.status == "documented":
            assert item.get("component"), f"{name}:{item.key} has no component"


def test_only_the_ip_allow_list_verdict_names_a_component() -> None:
    with_component = {e.key for e in load_table("antispam_ipv").entries if e.get("component")}
    assert with_component == {"CAL"}


def test_sfv_components_and_readings() -> None:
    assert entry("antispam_sfv", "SKN").get("component") == "mail flow (transport) rule"
    ski = entry("antispam_sfv", "ski")
    sources = {reading["source"] for reading in ski.get("readings")}
    assert len(ski.get("readings")) == 2 and len(sources) == 2
    assert entry("antispam_sfv", "DMS").status == "unknown"


def test_allow_listed_values_match_the_design() -> None:
    listed = {e.key for e in load_table("antispam_sfv").entries if e.get("allow_listed")}
    assert listed == {"SFE", "SKA", "SKI", "SKN"}
    assert entry("antispam_ipv", "CAL").get("allow_listed") is True


def test_undocumented_directions_are_unknown() -> None:
    for key in ("OUB", "OTB"):
        assert entry("antispam_dir", key).status == "unknown"
    assert entry("antispam_cat", "NONE").status == "observed"


# --- levels ------------------------------------------------------------------------------------


def test_scl_levels() -> None:
    assert entry("scl", "-1").get("verdict") == "skipped"
    for level in ("2", "3", "4"):
        assert entry("scl", level).get("verdict") == "unused"
    assert entry("scl", "5").get("verdict") == "spam"
    assert entry("scl", "9").get("verdict") == "high-confidence-spam"
    assert load_table("scl").lookup("10") is None


def test_bcl_thresholds_agree_with_bulk_under() -> None:
    for item in load_table("bcl").entries:
        thresholds = item.get("thresholds")
        assert thresholds == {"default": 7, "standard": 6, "strict": 5}
        expected = [name for name, limit in thresholds.items() if int(item.key) >= limit]
        assert item.get("bulk_under") == expected, item.key
    assert entry("bcl", "6").get("bulk_under") == ["standard", "strict"]


def test_pcl_bands() -> None:
    assert entry("pcl", "3").get("verdict") == "neutral"
    assert entry("pcl", "4").get("verdict") == "suspicious"
    assert entry("pcl", "0").status == "unknown"


def test_custom_spam_scores() -> None:
    assert entry("custom_spam", "Web bug").get("scl") == [9]
    assert entry("custom_spam", "SPF From Record Fail").get("scl") == [6]
    assert entry("custom_spam", "numeric ip in url").get("scl") == [5, 6]
    test_mode = entry("custom_spam", "This message was filtered by the custom spam filter option")
    assert test_mode.get("scl") is None and test_mode.get("test_mode") is True


# --- mailbox delivery and Exchange headers -----------------------------------------------------


def test_mailbox_delivery_tokens() -> None:
    assert entry("mailbox_delivery", "dest:J").get("folder") == "Junk Email"
    assert entry("mailbox_delivery", "OFR:SpamFilterAuthJ").status == "observed"
    for token in UNKNOWN_DELIVERY_TOKENS:
        assert entry("mailbox_delivery", token).status == "unknown", token


def test_org_header_keys_are_lowercase_header_names() -> None:
    for item in load_table("org_header").entries:
        key = item.key
        assert key == key.lower() and key.startswith("x-") and " " not in key, key


def test_org_header_lookups() -> None:
    auth_as = entry("org_header", "X-MS-Exchange-Organization-AuthAs")
    assert auth_as.get("values") == "auth_as" and auth_as.get("kept_at_mailbox_delivery")
    correlation = entry("org_header", "X-MS-Office365-Filtering-Correlation-Id")
    assert correlation.key == "x-ms-office365-filtering-correlation-id"
    assert entry("org_header", "X-MS-Exchange-CrossTenant-Id").status == "observed"


def test_exchange_value_tables() -> None:
    assert entry("auth_as", "anonymous").key == "Anonymous"
    assert entry("directionality", "Originating").status == "documented"
    assert {e.status for e in load_table("from_entity").entries} == {"observed"}
