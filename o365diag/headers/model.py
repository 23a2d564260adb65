"""The header analysis as data classes: the ``o365diag.headers/1`` JSON, key for key.

The authentication verdict (``Authentication`` and its parts) and the message summary are
built as these classes by the analysis itself; the stamps and the hops are written by their
decoders and described here. Views read a result's ``model`` (loaded from its JSON), so a
saved result renders as a fresh one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from o365diag.dns.model import LiveRecheck
from o365diag.typed import OMIT_NONE

__all__ = [
    "Alignment",
    "Antispam",
    "Arc",
    "Authentication",
    "Compauth",
    "DeliveryToken",
    "Dkim",
    "Dmarc",
    "Exchange",
    "ExchangeMeanings",
    "HeadersData",
    "HopData",
    "InputInfo",
    "Lead",
    "OtherAuth",
    "Spf",
    "StampField",
    "Stamps",
    "Status",
    "Summary",
]

Status = Literal["documented", "observed", "unknown"]


# -- the authentication verdict ------------------------------------------------------------------
@dataclass
class Spf:
    result: str | None = None
    domain: str | None = None
    ip: str | None = None
    helo: str | None = None
    meaning: str | None = None


@dataclass
class Dkim:
    result: str | None = None
    domain: str | None = None
    selector: str | None = None
    reason: str | None = None
    meaning: str | None = None


@dataclass
class Dmarc:
    result: str | None = None
    action: str | None = None
    policy: str | None = None
    header_from: str | None = None
    meaning: str | None = None
    action_meaning: str | None = None


@dataclass
class Compauth:
    result: str | None = None
    reason: str | None = None
    meaning: str | None = None
    kind: str | None = None
    status: Status | None = None


@dataclass
class Arc:
    result: str | None = None
    detail: str | None = None


@dataclass
class OtherAuth:
    """An authentication header the verdict was not taken from."""

    header: str
    authserv_id: str | None = None
    instance: int | None = None
    results: dict[str, str] = field(default_factory=dict)


@dataclass
class Alignment:
    from_domain: str | None = None
    spf_domain: str | None = None
    dkim_domains: list[str] = field(default_factory=list)
    spf_aligned: bool | None = None
    dkim_aligned: bool | None = None
    spf_aligned_strict: bool | None = None
    dkim_aligned_strict: bool | None = None
    dmarc_pass_spf: bool = False
    dmarc_pass_dkim: bool = False


@dataclass
class Authentication:
    """The verdict that counts for this mailbox (``source`` names the header it came from)."""

    spf: Spf = field(default_factory=Spf)
    dkim: list[Dkim] = field(default_factory=list)
    dmarc: Dmarc = field(default_factory=Dmarc)
    compauth: Compauth = field(default_factory=Compauth)
    arc: Arc = field(default_factory=Arc)
    source: str | None = None
    source_authserv_id: str | None = None
    others: list[OtherAuth] = field(default_factory=list)
    alignment: Alignment = field(default_factory=Alignment)

    def to_json(self) -> dict[str, Any]:
        """What ``typed.dump`` gives, without its generic walk (this runs once per message;
        none of these classes has a keyword-named field, so ``__dict__`` holds the JSON keys,
        in field order)."""
        data = self.__dict__.copy()
        data["spf"] = self.spf.__dict__.copy()
        data["dkim"] = [d.__dict__.copy() for d in self.dkim]
        data["dmarc"] = self.dmarc.__dict__.copy()
        data["compauth"] = self.compauth.__dict__.copy()
        data["arc"] = self.arc.__dict__.copy()
        data["others"] = [o.__dict__.copy() for o in self.others]
        data["alignment"] = self.alignment.__dict__.copy()
        return data


# -- the message ---------------------------------------------------------------------------------
@dataclass
class Summary:
    subject: str | None = None
    from_: str | None = None
    from_address: str | None = None
    to: list[str] = field(default_factory=list)
    cc: list[str] = field(default_factory=list)
    reply_to: str | None = None
    return_path: str | None = None
    message_id: str | None = None
    date: str | None = None
    date_raw: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "subject": self.subject,
            "from": self.from_,
            "from_address": self.from_address,
            "to": self.to,
            "cc": self.cc,
            "reply_to": self.reply_to,
            "return_path": self.return_path,
            "message_id": self.message_id,
            "date": self.date,
            "date_raw": self.date_raw,
        }


# -- the stamps -----------------------------------------------------------------------------------
@dataclass
class StampField:
    """One decoded stamp value (``SFV:SPM``) with what it means and how sure that is."""

    field: str
    value: str
    header: str
    field_meaning: str | None = None
    meaning: str | None = None
    status: Status = "unknown"
    source: str | None = None


@dataclass
class DeliveryToken:
    """One ``key:value`` of X-Microsoft-Antispam-Mailbox-Delivery."""

    key: str
    value: str
    meaning: str | None = None
    status: Status = "unknown"


@dataclass
class Stamps:
    """The anti-spam stamps of one trust level (as ``stamps.AntispamStamps.to_dict`` writes)."""

    scl: int | None = None
    bcl: int | None = None
    pcl: int | None = None
    sfv: str | None = None
    cat: str | None = None
    srv: str | None = None
    ipv: str | None = None
    dir: str | None = None
    cip: str | None = None
    ctry: str | None = None
    lang: str | None = None
    h: str | None = None
    ptr: str | None = None
    sfty: str | None = None
    sfs: list[str] = field(default_factory=list)
    custom_spam: str | None = None
    mailbox_delivery: list[DeliveryToken] = field(default_factory=list)
    fields: list[StampField] = field(default_factory=list)
    headers: list[str] = field(default_factory=list)


@dataclass
class Antispam(Stamps):
    """The trusted stamps (this tenant's decision) and, apart, another tenant's."""

    untrusted: Stamps = field(default_factory=Stamps)


@dataclass
class ExchangeMeanings:
    auth_as: str | None = None
    directionality: str | None = None
    from_entity: str | None = None


@dataclass
class Exchange:
    auth_as: str | None = None
    auth_source: str | None = None
    auth_mechanism: str | None = None
    directionality: str | None = None
    network_message_id: str | None = None
    cross_tenant: dict[str, str] = field(default_factory=dict)
    other: dict[str, str] = field(default_factory=dict)
    meanings: ExchangeMeanings = field(default_factory=ExchangeMeanings)

    def cross_tenant_value(self, name: str) -> str | None:
        wanted = name.lower()
        return next((v for k, v in self.cross_tenant.items() if k.lower() == wanted), None)

    def to_json(self) -> dict[str, Any]:
        """What ``typed.dump`` gives (no keyword-named field), without its generic walk."""
        data = self.__dict__.copy()
        data["meanings"] = self.meanings.__dict__.copy()
        return data


# -- the path -------------------------------------------------------------------------------------
@dataclass
class HopData:
    """One Received header, oldest first (``index`` 1); ``delay_seconds`` is the wait before
    it, negative with ``clock_skew`` when its clock runs behind the previous hop's."""

    index: int
    from_: str | None = None
    from_ip: str | None = None
    by: str | None = None
    by_ip: str | None = None
    with_: str | None = None
    id: str | None = None
    for_: str | None = None
    via: str | None = None
    tls: str | None = None
    timestamp: str | None = None
    date_text: str | None = None
    delay_seconds: float | None = None
    clock_skew: bool = False
    raw: str = ""
    problems: list[str] = field(default_factory=list)

    def names(self) -> dict[str, str | None]:
        """The parts that name servers, keyed as ``waits.held_by_names`` reads them."""
        return {
            "from": self.from_,
            "from_ip": self.from_ip,
            "by": self.by,
            "by_ip": self.by_ip,
            "timestamp": self.timestamp,
        }


@dataclass
class InputInfo:
    kind: Literal["text", "eml", "msg"] = "text"
    fields: int = 0
    had_body: bool = False
    stray_lines: int = 0


@dataclass
class Lead:
    """The most likely cause: the finding to act on first."""

    code: str
    title: str
    fix: str = ""


@dataclass
class HeadersData:
    """One message's header analysis. A save without its core parts is no analysis this
    model can show: loading it fails, and the report shows the generic layout instead."""

    summary: Summary
    authentication: Authentication
    antispam: Antispam
    exchange: Exchange
    hops: list[HopData]
    total_transit_seconds: float | None
    skipped_hops: int = 0
    input: InputInfo = field(default_factory=InputInfo)
    most_likely: Lead | None = None
    live_dns: LiveRecheck | None = field(default=None, metadata=OMIT_NONE)
