"""Verify every DKIM signature (and the ARC chain) of a message with dkimpy, keys from our resolver.

The keys are fetched first, all at once, through :class:`Resolver`; dkimpy then verifies
against those answers, so a slow or silent DNS server costs one timeout, not one per
signature, and each failure can be told apart: no key, a key lookup that failed, a body that
changed after signing, or headers that changed.
"""

from __future__ import annotations

import asyncio
import email.parser
import email.policy
import logging
import re

from o365diag.dns.catalogue import finding, organizational_domain
from o365diag.dns.dkim_keys import parse_key_record
from o365diag.dns.model import ArcData, DkimCheckData, SignatureCheck
from o365diag.dns.resolver import BadDomainName, DnsResult, Resolver
from o365diag.dns.result import DKIM_SCHEMA as SCHEMA
from o365diag.dns.result import DkimResult
from o365diag.findings import Finding

__all__ = ["SCHEMA", "SignatureCheck", "verify_message"]

_SIGNATURE_HEADERS = (b"dkim-signature", b"arc-message-signature", b"arc-seal")
_MAX_SIGNATURES = 20


class _Capture(logging.Handler):
    """Collects dkimpy's error messages, which are the only place it says why it failed."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.errors: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.levelno >= logging.ERROR:
            self.errors.append(record.getMessage())


def _logger(capture: _Capture) -> logging.Logger:
    logger = logging.getLogger(f"o365diag.dkim.{id(capture)}")
    logger.propagate = False
    logger.handlers = [capture]
    logger.setLevel(logging.DEBUG)
    return logger


def _tags(value: bytes) -> dict[str, str]:
    text = re.sub(r"\s+", "", value.decode("ascii", "replace"))
    pairs = (part.split("=", 1) for part in text.split(";") if "=" in part)
    return {k.lower(): v for k, v in pairs}


def _key_names(headers: list[tuple[bytes, bytes]]) -> list[str]:
    names = []
    for name, value in headers:
        if name.lower() in _SIGNATURE_HEADERS:
            tags = _tags(value)
            if tags.get("s") and tags.get("d"):
                names.append(f"{tags['s']}._domainkey.{tags['d']}".lower())
    return list(dict.fromkeys(names))[:_MAX_SIGNATURES]


class _Keys:
    """dkimpy's ``dnsfunc``, answering from lookups already made."""

    def __init__(self, answers: dict[str, DnsResult]) -> None:
        self.answers = answers

    def __call__(self, name: bytes | str, timeout: float = 5) -> bytes | None:
        import dkim

        text = name.decode("ascii", "replace") if isinstance(name, bytes) else name
        answer = self.answers.get(text.rstrip(".").lower())
        if answer is None or answer.void:
            return None
        if answer.failed:
            raise dkim.DnsTimeoutError(answer.describe())
        texts = answer.texts()
        return next((t for t in texts if b"p=" in t), texts[0] if texts else None)


async def _fetch_keys(names: list[str], resolver: Resolver) -> dict[str, DnsResult]:
    answers = await asyncio.gather(*(_query_txt(n, resolver) for n in names))
    return {n: a for n, a in zip(names, answers, strict=True) if a is not None}


async def _query_txt(name: str, resolver: Resolver) -> DnsResult | None:
    try:
        return await resolver.query(name, "TXT")
    except BadDomainName:  # a d= or s= that cannot be a DNS name: dkimpy reports it
        return None


def _from_domain(raw: bytes) -> str | None:
    parser = email.parser.BytesHeaderParser(policy=email.policy.compat32)
    value = parser.parsebytes(raw).get("From", "")
    match = re.search(r"@([A-Za-z0-9.\-]+)", str(value))
    return match.group(1).lower().rstrip(".") if match else None


def _check_one(raw: bytes, index: int, keys: _Keys, from_domain: str | None) -> SignatureCheck:
    import dkim

    capture = _Capture()
    verifier = dkim.DKIM(raw, logger=_logger(capture), minkey=1024)
    sigs = [v for n, v in verifier.headers if n.lower() == b"dkim-signature"]
    tags = _tags(sigs[index])
    domain, selector = tags.get("d", "").lower(), tags.get("s", "")
    check = SignatureCheck(index + 1, domain, selector, tags.get("a", ""), "fail", "signature", "")
    if from_domain and domain:
        check.aligned = organizational_domain(domain) == organizational_domain(from_domain)
    try:
        verified = verifier.verify(idx=index, dnsfunc=keys)
    except dkim.DKIMException as exc:
        _explain_exception(check, exc)
        check.key_bits = getattr(verifier, "keysize", None)
        return check
    check.key_bits = getattr(verifier, "keysize", None) or _published_bits(keys, selector, domain)
    if verified:
        check.result, check.kind = "pass", "ok"
        check.reason = f"signed headers: {tags.get('h', '')}"
    else:
        _explain_false(check, capture.errors)
    return check


def _published_bits(keys: _Keys, selector: str, domain: str) -> int | None:
    answer = keys.answers.get(f"{selector}._domainkey.{domain}".lower())
    if answer is None or not answer.texts():
        return None
    return parse_key_record(answer.texts()[0].decode("ascii", "replace"))[2]


def _explain_exception(check: SignatureCheck, exc: Exception) -> None:
    text = str(exc)
    check.reason = text
    if "body hash mismatch" in text:
        check.kind = "body-hash"
    elif "public key too small" in text:
        check.kind, check.result = "key-invalid", "permerror"
    else:
        check.kind, check.result = "malformed", "permerror"


def _explain_false(check: SignatureCheck, errors: list[str]) -> None:
    joined = "; ".join(errors)
    if "DnsTimeoutError" in joined:
        check.kind, check.result = "temperror", "temperror"
        check.reason = joined
    elif "missing public key" in joined:
        check.kind, check.result = "key-missing", "permerror"
        check.reason = f"no key published at {check.selector}._domainkey.{check.domain}"
    elif errors:
        check.kind, check.result = "key-invalid", "permerror"
        check.reason = joined
    else:
        check.reason = (
            "the body is intact but the signature does not match the signed headers: a signed "
            "header (Subject, From, To...) was changed after signing, or the key does not match"
        )


def _arc(raw: bytes, keys: _Keys) -> tuple[ArcData, list[Finding]]:
    import dkim

    capture = _Capture()
    try:
        cv, results, comment = dkim.arc_verify(raw, logger=_logger(capture), dnsfunc=keys)
    except Exception as exc:  # dkimpy raises assorted errors on malformed ARC sets
        cv, results, comment = dkim.CV_Fail, [], str(exc)
    verdict = (cv or b"fail").decode() if isinstance(cv, bytes) else str(cv or "fail")
    data = ArcData(verdict, comment, len(results))
    values = {"count": len(results), "detail": comment}
    if verdict == "pass":
        return data, [finding("dkim.arc-pass", values)]
    return data, [finding("dkim.arc-fail", values)]


async def verify_message(raw: bytes, resolver: Resolver) -> DkimResult:
    """Verify every DKIM-Signature and the ARC chain of one message (bytes of a .eml)."""
    import dkim

    try:
        headers = dkim.DKIM(raw).headers
    except Exception as exc:  # dkimpy raises several types for unparsable input
        return _unreadable(str(exc))
    keys = _Keys(await _fetch_keys(_key_names(headers), resolver))
    from_domain = _from_domain(raw)
    count = sum(1 for n, _ in headers if n.lower() == b"dkim-signature")
    checks = [_check_one(raw, i, keys, from_domain) for i in range(min(count, _MAX_SIGNATURES))]
    findings = [_signature_finding(c) for c in checks] or [finding("dkim.no-signature")]
    data = DkimCheckData(
        from_domain=from_domain,
        signatures=checks,
        keys={name: answer.to_answer() for name, answer in keys.answers.items()},
    )
    if any(n.lower() == b"arc-seal" for n, _ in headers):
        data.arc, arc_findings = _arc(raw, keys)
        findings.extend(arc_findings)
    return DkimResult.from_model(data, findings)


def _signature_finding(check: SignatureCheck) -> Finding:
    values = {
        "index": check.index,
        "domain": check.domain,
        "selector": check.selector,
        "reason": check.reason,
        "name": f"{check.selector}._domainkey.{check.domain}",
        "detail": f"{check.reason}; key {check.key_bits or '?'} bits"
        + (
            ""
            if check.aligned is None
            else ", aligned with From"
            if check.aligned
            else ", NOT aligned with the From domain (does not help DMARC)"
        ),
        "advice": "Check which header changed (Subject tags, rewritten From) or that the "
        "selector's published key is the signer's current key.",
    }
    code = {
        "ok": "dkim.signature-pass",
        "body-hash": "dkim.body-hash-mismatch",
        "key-missing": "dkim.signature-key-missing",
        "temperror": "dkim.signature-temperror",
    }.get(check.kind, "dkim.signature-fail")
    return finding(code, values)


def _unreadable(detail: str) -> DkimResult:
    findings = [finding("dkim.message-unreadable", {"detail": detail})]
    return DkimResult.from_model(DkimCheckData(from_domain=None), findings)
