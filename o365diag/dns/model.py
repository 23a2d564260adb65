"""The data of the domain checks, key for key as saved: ``o365diag.dns/1`` (``DomainData``,
one domain's records, device IPs and blocklists), ``o365diag.spf/1`` (``SpfCheckData``, one
check_host with its trace) and ``o365diag.dkim/1`` (``DkimCheckData``, the signatures of one
message). The checks build these classes; a saved result loads back into them
(``o365diag.typed``), so the views read one typed shape, fresh or saved."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

__all__ = [
    "ArcData",
    "AutodiscoverData",
    "BlocklistRow",
    "BlocklistRows",
    "DemoZone",
    "DeviceCheck",
    "DkimCheckData",
    "DkimForm",
    "DkimKeyData",
    "DkimSelectorRef",
    "DkimSelectors",
    "DmarcData",
    "DmarcPolicyName",
    "DnsAnswer",
    "DnsOutcome",
    "DomainData",
    "EvalVia",
    "Light",
    "LiveRecheck",
    "MtaStsData",
    "MxData",
    "MxHost",
    "ResolverInfo",
    "SignatureCheck",
    "SpfCheckData",
    "SpfData",
    "SpfEvalNode",
    "SpfEvalStep",
    "SpfTerm",
    "SpfTraceRecord",
    "SpfTraceRow",
    "SpfTraceTerm",
    "SpfTreeNode",
    "SpfVerdict",
    "StepOutcome",
    "TlsRptData",
    "TreeVia",
]

DnsOutcome = Literal["answer", "nxdomain", "nodata", "servfail", "timeout", "error"]
# The traffic light of one record: the worst severity of its findings.
Light = Literal["ok", "info", "warning", "error", "critical"]
SpfVerdict = Literal["pass", "fail", "softfail", "neutral", "none", "permerror", "temperror"]
DmarcPolicyName = Literal["none", "quarantine", "reject"]
# Where a DKIM selector's CNAME points: Microsoft 365's older or newer key host, or elsewhere.
# How a record joined the include tree / the check_host evaluation.
TreeVia = Literal["domain", "include", "redirect"]
EvalVia = Literal["check_host", "include", "redirect"]
StepOutcome = Literal["match", "no-match", "error"]
DkimForm = Literal["microsoft-classic", "microsoft-new", "other"]


# -- MX ------------------------------------------------------------------------------------------
@dataclass
class MxHost:
    preference: int
    host: str
    addresses: list[str] = field(default_factory=list)
    microsoft: Literal["classic", "dane"] | None = None  # which Microsoft 365 form, if any


@dataclass
class MxData:
    records: list[MxHost]
    outcome: DnsOutcome
    relay_endpoint: str | None = None  # the first Microsoft MX host: where devices relay to


# -- SPF: the include tree ---------------------------------------------------------------------
@dataclass
class SpfTerm:
    term: str
    lookups: int
    note: str | None = None
    void: bool = False


@dataclass
class SpfTreeNode:
    """One record of the include tree; ``children`` are its includes, then its redirect."""

    domain: str
    via: TreeVia
    record: str | None
    problem: str | None
    lookups: int
    total_lookups: int
    void_lookups: int
    terms: list[SpfTerm] = field(default_factory=list)
    children: list[SpfTreeNode] = field(default_factory=list)


@dataclass
class SpfData:
    """The domain's SPF record; the counts are null when the record could not be parsed."""

    record: str | None
    lookups: int | None
    void_lookups: int | None
    all: str | None
    includes_microsoft: bool | None
    depth: int | None
    tree: SpfTreeNode


# -- SPF: one check_host() ----------------------------------------------------------------------
@dataclass
class SpfTraceRecord:
    """A record evaluated (``detail``: its problem, or the DNS answers it used)."""

    depth: int
    kind: Literal["record"]
    domain: str
    via: EvalVia
    text: str | None
    result: SpfVerdict | None
    detail: str


@dataclass
class SpfTraceTerm:
    """A term tried, with the lookup count after it."""

    depth: int
    kind: Literal["term"]
    text: str
    outcome: StepOutcome
    detail: str
    lookups: int


SpfTraceRow = SpfTraceRecord | SpfTraceTerm


@dataclass
class DeviceCheck:
    """check_host() for one device IP, as the domain check saves it."""

    ip: str
    result: SpfVerdict
    matched: str | None
    path: list[str]
    explanation: str | None
    problem: str | None
    lookups: int
    void_lookups: int
    trace: list[SpfTraceRow] = field(default_factory=list)

    @property
    def decided_by(self) -> str:
        return " > ".join(self.path) or self.problem or "no term matched"


@dataclass
class SpfEvalStep:
    term: str
    outcome: StepOutcome
    detail: str
    lookups: int
    dns: list[str]
    child: SpfEvalNode | None = None


@dataclass
class SpfEvalNode:
    """One record check_host evaluated, with the terms it tried."""

    domain: str
    via: EvalVia
    record: str | None
    result: SpfVerdict | None
    problem: str | None
    dns: list[str] = field(default_factory=list)
    steps: list[SpfEvalStep] = field(default_factory=list)


@dataclass
class SpfCheckData:
    """The data of an ``o365diag.spf/1`` result."""

    result: SpfVerdict
    explanation: str | None
    explanation_source: Literal["exp", "default"] | None
    lookups: int
    void_lookups: int
    matched: str | None
    path: list[str]
    problem: str | None
    ip: str
    sender: str
    helo: str | None
    domain: str
    elapsed_ms: float
    trace: list[SpfTraceRow]
    tree: SpfEvalNode


# -- DKIM keys, DMARC, MTA-STS, TLS-RPT, autodiscover, blocklists -------------------------------
@dataclass
class DkimKeyData:
    """What DNS says about one selector (``form``: where its CNAME points)."""

    name: str
    outcome: DnsOutcome
    cname: str | None
    target: str | None
    form: DkimForm | None
    record: str | None
    key_type: str | None
    key_bits: int | None
    revoked: bool
    testing: bool
    problem: str | None


@dataclass
class DmarcData:
    """The DMARC policy that applies (``location``: the domain, or its organizational domain
    whose record it inherits); tags as published, null without a valid record."""

    location: str
    record: str | None = None
    p: DmarcPolicyName | None = None
    sp: DmarcPolicyName | None = None
    pct: int | None = None
    rua: list[str] = field(default_factory=list)
    ruf: list[str] = field(default_factory=list)
    adkim: str | None = None
    aspf: str | None = None
    fo: str | None = None
    valid: bool | None = None
    problems: list[str] = field(default_factory=list)
    unknown_tags: list[str] = field(default_factory=list)


@dataclass
class MtaStsData:
    name: str
    record: str | None
    valid: bool
    outcome: DnsOutcome
    id: str | None = None
    policy_url: str | None = None


@dataclass
class TlsRptData:
    name: str
    record: str | None
    valid: bool
    outcome: DnsOutcome
    rua: list[str] = field(default_factory=list)


@dataclass
class AutodiscoverData:
    name: str
    cname: str | None
    microsoft: bool | None


@dataclass
class BlocklistRow:
    ip: str
    zone: str
    listed: bool
    codes: list[str]
    meaning: str | None = None
    error: str | None = None


@dataclass
class BlocklistRows:
    """What check_blocklists returns; the domain check saves the rows as ``dnsbl``."""

    rows: list[BlocklistRow] = field(default_factory=list)


@dataclass
class DkimSelectors:
    """What check_dkim returns; the domain check saves the selectors as ``dkim``."""

    selectors: dict[str, DkimKeyData] = field(default_factory=dict)


@dataclass
class ResolverInfo:
    nameservers: list[str]
    queries: int
    timeout: float
    elapsed_ms: float


@dataclass
class DemoZone:
    """The stand-in DNS server a setup plan's verify step ran the domain check against."""

    nameserver: str
    queries: int
    stand_ins: list[str]


@dataclass(kw_only=True)
class DomainData:
    """The data of an ``o365diag.dns/1`` result, key for key (in the order saved)."""

    domain: str
    ips: list[str] = field(default_factory=list)
    mx: MxData
    spf: SpfData
    spf_checks: list[DeviceCheck] = field(default_factory=list)
    dkim: dict[str, DkimKeyData] = field(default_factory=dict)  # by selector
    dmarc: DmarcData
    mta_sts: MtaStsData
    tls_rpt: TlsRptData
    autodiscover: AutodiscoverData
    dnsbl: list[BlocklistRow] = field(default_factory=list)
    exists: bool = True
    readiness: dict[str, Light] = field(default_factory=dict)  # by area: mx, spf, dkim...
    resolver: ResolverInfo
    demo_zone: DemoZone | None = None


# -- DKIM signatures of a message ---------------------------------------------------------------
@dataclass
class SignatureCheck:
    """One DKIM-Signature verified: the verdict, what kind of failure, and why."""

    index: int
    domain: str
    selector: str
    algorithm: str
    result: Literal["pass", "fail", "temperror", "permerror"]
    kind: Literal[
        "ok", "body-hash", "signature", "key-missing", "key-invalid", "temperror", "malformed"
    ]
    reason: str
    key_bits: int | None = None
    aligned: bool | None = None


@dataclass
class ArcData:
    result: str  # dkimpy's chain validation: pass, fail or none
    reason: str | None
    instances: int


@dataclass
class DnsAnswer:
    """One lookup as it was answered (``records`` in presentation form)."""

    name: str
    type: str
    outcome: DnsOutcome
    records: list[str]
    cnames: list[str]
    ttl: int | None
    error: str | None
    elapsed_ms: float


@dataclass
class DkimCheckData:
    """The data of an ``o365diag.dkim/1`` result."""

    from_domain: str | None
    signatures: list[SignatureCheck] = field(default_factory=list)
    arc: ArcData | None = None
    keys: dict[str, DnsAnswer] = field(default_factory=dict)  # by the name looked up


# -- a header analysis re-checked against today's DNS ------------------------------------------
@dataclass
class DkimSelectorRef:
    domain: str
    selector: str


@dataclass
class LiveRecheck:
    """What ``headers --live-dns`` asked today's DNS (saved in the header analysis)."""

    nameserver: str | None
    ip: str | None
    mail_from_domain: str | None
    dkim: list[DkimSelectorRef]
    findings: list[str]
