"""The domain check results: ``o365diag.dns/1`` (a domain), ``o365diag.spf/1`` (one
check_host) and ``o365diag.dkim/1`` (the signatures of one message)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from o365diag.dns.model import DkimCheckData, DomainData, SpfCheckData
from o365diag.dns.render import audit_html, audit_text, dkim_html, dkim_text, spf_html, spf_text
from o365diag.result import Result

__all__ = [
    "DKIM_SCHEMA",
    "DNS_SCHEMA",
    "SPF_SCHEMA",
    "DkimResult",
    "DomainResult",
    "SpfCheckResult",
]

DNS_SCHEMA = "o365diag.dns/1"
SPF_SCHEMA = "o365diag.spf/1"
DKIM_SCHEMA = "o365diag.dkim/1"


@dataclass
class DomainResult(Result):
    """Is a domain ready to send through Microsoft 365: records, device IPs, blocklists."""

    SCHEMA: ClassVar[str] = DNS_SCHEMA
    MODEL: ClassVar[type[Any] | None] = DomainData

    @property
    def model(self) -> DomainData:
        return self.typed(DomainData)

    @classmethod
    def title_from(cls, data: Mapping[str, Any]) -> str:
        domain = data.get("domain")
        return f"Domain check: {domain}" if domain else "Domain check"

    def facts(self) -> list[tuple[str, Any]]:
        data = self.model
        return [
            ("Domain", data.domain),
            ("SPF", data.spf.record),
            ("DMARC", data.dmarc.record),
        ]

    def to_text(self) -> str:
        return audit_text(self)

    def body_html(self) -> str:
        """Readiness per record, the SPF include tree (as text: it prints and copies), device
        verdicts, findings and the records as DNS has them now."""
        return audit_html(self)


@dataclass
class SpfCheckResult(Result):
    """One SPF evaluation (RFC 7208 check_host) with its trace."""

    SCHEMA: ClassVar[str] = SPF_SCHEMA
    MODEL: ClassVar[type[Any] | None] = SpfCheckData

    @property
    def model(self) -> SpfCheckData:
        return self.typed(SpfCheckData)

    @classmethod
    def title_from(cls, data: Mapping[str, Any]) -> str:
        if data.get("ip") and data.get("sender"):
            return f"SPF: {data['ip']} as {data['sender']}"
        return "SPF evaluation"

    def facts(self) -> list[tuple[str, Any]]:
        data = self.model
        return [("Result", data.result), ("Lookups", data.lookups)]

    def to_text(self) -> str:
        return spf_text(self)

    def body_html(self) -> str:
        return spf_html(self)


@dataclass
class DkimResult(Result):
    """The DKIM signatures and ARC chain of one message, verified against DNS."""

    SCHEMA: ClassVar[str] = DKIM_SCHEMA
    MODEL: ClassVar[type[Any] | None] = DkimCheckData

    @property
    def model(self) -> DkimCheckData:
        return self.typed(DkimCheckData)

    @classmethod
    def title_from(cls, data: Mapping[str, Any]) -> str:
        return "DKIM verification"

    def facts(self) -> list[tuple[str, Any]]:
        data = self.model
        return [("From domain", data.from_domain), ("Signatures", len(data.signatures))]

    def to_text(self) -> str:
        return dkim_text(self)

    def body_html(self) -> str:
        return dkim_html(self)
