"""From a finished session to findings: each reply is looked up in the knowledge table
``smtp_replies`` (catalogue E01-E78), each local failure in ``smtp_checks``."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from functools import cache

from o365diag.domains import is_always_published
from o365diag.findings import Finding, Severity
from o365diag.knowledge import Entry, load_table
from o365diag.smtp.config import PROFILES
from o365diag.smtp.model import Reply, StepResult
from o365diag.smtp.result import SCHEMA, SmtpResult
from o365diag.smtp.session import Session
from o365diag.smtp.tlsinfo import LEGACY_VERSIONS

__all__ = ["SCHEMA", "build_report", "diagnose", "explain_reply", "local_finding", "match_reply"]

EXPIRY_WARNING_DAYS = 30
_MICROSOFT_MX = ".mail.protection.outlook.com"
_SUBMISSION_HOSTS = frozenset({"smtp.office365.com", "smtp-legacy.office365.com"})


def build_report(session: Session) -> SmtpResult:
    return SmtpResult.from_model(session.to_model(), diagnose(session))


def diagnose(session: Session) -> list[Finding]:
    findings = list(_setting_findings(session))
    for step in session.steps:
        if not step.failed:
            continue
        if step.reply is not None:
            findings.append(explain_reply(step, session.config.profile, _known_values(session)))
        elif step.error:
            code = _resolution_code(step.error, session.target.host)
            findings.append(local_finding(code, step.detail or "", step=step.name))
    findings.extend(_tls_findings(session))
    findings.extend(_success_findings(session))
    return findings


# ---------------------------------------------------------------- server replies
def explain_reply(
    step: StepResult, profile: str, known: Mapping[str, str | None] | None = None
) -> Finding:
    """A finding for a failed step's reply: what it means at this step, for this profile.

    ``known`` fills the catalogue's placeholders (``<mailbox>``, ``<sender>``) with what the
    session already knows, so a fix can be pasted as it is.
    """
    assert step.reply is not None
    reply = step.reply
    entry = match_reply(reply, step.name, profile)
    where = f"{step.name} ({step.recipient})" if step.recipient else step.name
    detail = f"At the {where} step the server replied: {reply.one_line.rstrip('.')}."
    if entry is None:
        return Finding(
            reply.finding_code,
            _severity_for(reply, None),
            f"Server refused the {step.name} step",
            detail,
            evidence=_reply_evidence(reply),
        )
    meaning, note = entry.meaning, _profile_note(entry, profile)
    return Finding(
        code=reply.finding_code,
        severity=_severity_for(reply, entry),
        title=str(entry.get("title") or meaning),
        detail=" ".join(part for part in (detail, meaning, note) if part),
        fix=_filled(str(entry.get("fix", "")), known or {}),
        evidence=(*_reply_evidence(reply), f"catalogue: {entry.key} ({entry.status})"),
        references=_references(entry),
    )


_PLAIN_ADDRESS = re.compile(r"^[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$")


def _filled(text: str, known: Mapping[str, str | None]) -> str:
    """Placeholders replaced by known addresses (only plain ones: they go into PowerShell)."""
    for placeholder, value in known.items():
        if value and _PLAIN_ADDRESS.match(value):
            text = text.replace(placeholder, value)
    return text


def _known_values(session: Session) -> dict[str, str | None]:
    config = session.config
    mailbox = config.username if config.username and "@" in config.username else None
    return {"<mailbox>": mailbox, "<sender>": config.mail_from or None}


def match_reply(reply: Reply, step: str, profile: str) -> Entry | None:
    """The catalogue entry that best explains ``reply``; the generic class entry otherwise."""
    best: tuple[int, Entry] | None = None
    for entry in _catalogue():
        score = _score(entry, reply, step, profile)
        if score is not None and (best is None or score > best[0]):
            best = (score, entry)
    return best[1] if best else _generic_entry(reply)


def _score(entry: Entry, reply: Reply, step: str, profile: str) -> int | None:
    code, enhanced, pattern = entry.get("code"), entry.get("enhanced"), entry.get("pattern")
    if code is not None and code != reply.code:
        return None
    if enhanced is not None and not _enhanced_matches(enhanced, reply.enhanced):
        return None
    if pattern is not None and not re.search(pattern, reply.text, re.IGNORECASE):
        return None
    if enhanced is None and pattern is None:
        return None
    score = 4 * (pattern is not None) + 2 * (enhanced is not None) + (code is not None)
    score += step in entry.get("steps", ())
    score += profile in entry.get("options", ())
    return score


def _enhanced_matches(spec: str | list[str], enhanced: str | None) -> bool:
    if enhanced is None:
        return False
    specs = [spec] if isinstance(spec, str) else spec
    return any(_one_spec_matches(s, enhanced) for s in specs)


def _one_spec_matches(spec: str, enhanced: str) -> bool:
    if "-" not in spec:
        return spec == enhanced
    head, _, high = spec.partition("-")
    prefix, _, low = head.rpartition(".")
    got_prefix, _, got_detail = enhanced.rpartition(".")
    return got_prefix == prefix and int(low) <= int(got_detail) <= int(high)


def _generic_entry(reply: Reply) -> Entry | None:
    table = load_table("smtp_replies")
    by_code = table.lookup(f"reply-{reply.code}")
    if by_code is not None:
        return by_code
    if reply.enhanced:
        subject = table.lookup(f"subject-{reply.enhanced.split('.')[1]}")
        if subject is not None:
            return subject
    return table.lookup(f"class-{str(reply.code)[0]}")


@cache
def _catalogue() -> tuple[Entry, ...]:
    return tuple(e for e in load_table("smtp_replies").entries if e.key.startswith("E"))


def _profile_note(entry: Entry, profile: str) -> str:
    notes = entry.get("profile_notes") or {}
    if profile in notes:
        return str(notes[profile])
    options = entry.get("options") or []
    if options and profile not in options:
        names = " or ".join(PROFILES[o].title for o in options if o in PROFILES)
        return f"This reply usually concerns {names}, not the {profile} profile you chose."
    return ""


def _severity_for(reply: Reply, entry: Entry | None) -> Severity:
    if entry is not None and entry.get("severity"):
        return Severity(entry.get("severity"))
    return Severity.WARNING if 400 <= reply.code < 500 and reply.code != 421 else Severity.ERROR


def _reply_evidence(reply: Reply) -> tuple[str, ...]:
    lines = reply.text.splitlines() or [""]
    return tuple(f"{reply.code} {line}".rstrip() for line in lines[:10])


def _references(entry: Entry) -> tuple[str, ...]:
    more = entry.get("more_sources") or []
    return tuple(dict.fromkeys([entry.source, *more]))


# ---------------------------------------------------------------- local checks
def _resolution_code(code: str, host: str | None) -> str:
    """A Microsoft name that does not resolve points at the local DNS, not at its spelling."""
    if code == "dns.no-address" and host and is_always_published(host):
        return "dns.microsoft-host-unresolved"
    return code


def local_finding(
    code: str, detail: str = "", *, step: str | None = None, evidence: Iterable[str] = ()
) -> Finding:
    entry = load_table("smtp_checks").lookup(code)
    if entry is None:  # a code without an entry is a bug, but still reported, not raised
        return Finding(code, Severity.ERROR, code, detail, evidence=tuple(evidence))
    prefix = f"At the {step} step: " if step else ""
    text = f"{prefix}{detail}. {entry.meaning}" if detail else entry.meaning
    return Finding(
        code=code,
        severity=Severity(entry.get("severity", "error")),
        title=str(entry.get("title", code)),
        detail=text,
        fix=str(entry.get("fix", "")),
        evidence=tuple(evidence),
        references=(entry.source,),
    )


def _setting_findings(session: Session) -> Iterable[Finding]:
    config, target = session.config, session.target
    host = (target.host or "").lower()
    if config.insecure:
        yield local_finding("tls.insecure")
    if _helo_names_target(session.helo, host, config.tls_name):
        yield local_finding(
            "helo.names-target", f"HELO name {session.helo!r}", evidence=(f"EHLO {session.helo}",)
        )
    if host and _host_mismatch(config.profile, host):
        yield local_finding("profile.host-mismatch", f"{host} with the {config.profile} profile")
    if config.profile == "submission" and target.port == 465:
        yield local_finding("profile.port-465")
    if target.mx and not all(r.host.lower().endswith(_MICROSOFT_MX) for r in target.mx[:1]):
        yield local_finding(
            "dns.mx-not-microsoft",
            f"MX of {config.mx_domain}: {target.mx[0].host}",
            evidence=tuple(f"MX {r.preference} {r.host}" for r in target.mx),
        )


def _helo_names_target(helo: str, host: str, tls_name: str | None) -> bool:
    helo = helo.lower().rstrip(".")
    names = {host.rstrip("."), (tls_name or "").lower()} - {""}
    return helo in names or helo.endswith(_MICROSOFT_MX) or helo in _SUBMISSION_HOSTS


def _host_mismatch(profile: str, host: str) -> bool:
    if profile == "submission":
        return host.endswith(_MICROSOFT_MX)
    return host in _SUBMISSION_HOSTS


def _tls_findings(session: Session) -> Iterable[Finding]:
    tls = session.tls
    in_clear = any(s.name in ("auth", "mail") and s.status != "skipped" for s in session.steps)
    if tls is None or tls.version is None:
        if in_clear and session.config.effective_tls_mode in ("auto", "none"):
            yield local_finding("tls.none")
        return
    if tls.version in LEGACY_VERSIONS:
        yield local_finding("tls.legacy-version", f"negotiated {tls.version}")
    peer = tls.peer_cert
    if (
        peer is not None
        and peer.days_left is not None
        and 0 <= peer.days_left < EXPIRY_WARNING_DAYS
    ):
        yield local_finding(
            "tls.cert-expiring", f"{peer.days_left} days left (not after {peer.not_after})"
        )


def _success_findings(session: Session) -> Iterable[Finding]:
    auth = next((s for s in session.steps if s.name == "auth" and s.ok), None)
    if (
        auth is not None
        and session.auth_mechanism in ("login", "plain")
        and session.config.profile == "submission"
    ):
        yield local_finding("auth.basic-deprecated")
    if session.outcome == "failed":
        return
    if session.outcome == "sent":
        yield local_finding("session.sent")
    elif session.stopped_after is not None and session.stopped_after != "rcpt":
        yield local_finding("session.stopped", f"stopped after {session.stopped_after}")
    else:
        yield local_finding("session.accepted")
