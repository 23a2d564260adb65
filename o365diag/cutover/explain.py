"""``o365diag explain TEXT``: what a client printed when sending failed, in plain words.

The text may be an SMTP reply, a Postfix or Exim log line, a Python or PowerShell exception,
curl's message or a printer panel message. Client wordings come from
knowledge/client_errors.json (``client.*``), the reply from the catalogue in
knowledge/smtp_replies.json, and what it means for the Basic-auth cutover from
client_errors.json (``reply.*``). Unknown text is "not recognised" with the closest matches.
"""

from __future__ import annotations

import difflib
import re
from functools import cache
from typing import TYPE_CHECKING, Any, cast, get_args

from o365diag.cutover.model import CutoverVerdict, ExplainData
from o365diag.knowledge import Entry, load_table
from o365diag.redact import remove_secrets
from o365diag.smtp.diagnose import match_reply
from o365diag.smtp.model import Reply

if TYPE_CHECKING:
    from o365diag.cutover.result import ExplainResult

__all__ = ["MAX_TEXT", "Explanation", "explain"]

MAX_TEXT = 8000
_ENHANCED = r"(?P<enhanced>[245]\.\d{1,3}\.\d{1,3})"
_REPLY = re.compile(rf"(?<![\d.])(?P<code>[245]\d\d)[ -](?:#?{_ENHANCED}\s+)?(?P<text>\S.*)")
_ENHANCED_ONLY = re.compile(rf"(?<![\d.]){_ENHANCED}\s+(?P<text>\S.*)")
_CLOSEST = 3


class Explanation(ExplainData):
    """What a pasted text means (``o365diag.explain/1``'s data); ``recognised`` is False when
    nothing in it is known. ``cutover`` and ``reversible`` are short names for
    ``is_basic_auth_cutover`` and ``can_switch_back_on``."""

    @property
    def cutover(self) -> CutoverVerdict:
        return self.is_basic_auth_cutover

    @cutover.setter
    def cutover(self, verdict: CutoverVerdict) -> None:
        self.is_basic_auth_cutover = verdict

    @property
    def reversible(self) -> str | None:
        return self.can_switch_back_on

    @reversible.setter
    def reversible(self, text: str | None) -> None:
        self.can_switch_back_on = text

    def to_result(self) -> ExplainResult:
        from o365diag.cutover.result import ExplainResult

        return ExplainResult.from_model(self)

    def to_dict(self) -> dict[str, Any]:
        return self.to_result().to_dict()

    def to_text(self) -> str:
        return self.to_result().to_text()


@cache
def _clients() -> tuple[tuple[Entry, re.Pattern[str]], ...]:
    table = load_table("client_errors")
    return tuple(
        (e, re.compile(str(e.get("pattern")), re.IGNORECASE))
        for e in table.entries
        if e.key.startswith("client.")
    )


def explain(text: str) -> Explanation:
    """Explain one pasted message (at most MAX_TEXT characters are read)."""
    # Secrets go first, line by line (an AUTH line's payload), before the lines are joined.
    body = " ".join(str(remove_secrets(text[:MAX_TEXT])).split())
    found = Explanation(text=body, recognised=False)
    client, reply_text = _client_match(body)
    if client is not None:
        _use_client(found, client)
    reply = _reply(reply_text or body, client)
    if reply is not None:
        _use_reply(found, reply)
    if not found.recognised:
        found.closest = _closest(body)
    return found


def _client_match(body: str) -> tuple[Entry | None, str | None]:
    for entry, pattern in _clients():
        match = pattern.search(body)
        if match:
            groups = match.groupdict()
            reply = groups.get("reply")
            if groups.get("code") and reply:
                reply = f"{groups['code']} {reply}"
            return entry, reply
    return None, None


def _use_client(found: Explanation, entry: Entry) -> None:
    found.recognised = True
    found.client = str(entry.get("client"))
    found.title = f"{found.client}: {entry.meaning.split(';')[0].rstrip('.')}"
    found.cause = entry.meaning
    found.fix = entry.get("fix")
    found.cutover = _verdict(entry.get("cutover"))
    found.sources.append(entry.source)


def _reply(text: str, client: Entry | None) -> Reply | None:
    match = _REPLY.search(text)
    if match:
        return Reply(int(match["code"]), match["text"].strip(), match["enhanced"])
    match = _ENHANCED_ONLY.search(text)
    if match:
        # .NET and some devices show the enhanced code alone; borrow the basic code of the
        # catalogue entries that carry it.
        code = _code_for(match["enhanced"])
        if code is not None:
            return Reply(code, match["text"].strip(), match["enhanced"])
    return None


def _code_for(enhanced: str) -> int | None:
    table = load_table("smtp_replies")
    for entry in table.entries:
        spec = entry.get("enhanced")
        specs = [spec] if isinstance(spec, str) else (spec or [])
        if enhanced in specs and entry.get("code") is not None:
            return int(entry.get("code"))
    return {"2": 250, "4": 451, "5": 550}.get(enhanced[0])


def _use_reply(found: Explanation, reply: Reply) -> None:
    entry = match_reply(reply, "auth", "submission")
    found.reply = reply
    if entry is None:
        return
    found.recognised = True
    found.catalogue = entry.key
    found.title = str(entry.get("title") or entry.meaning)
    found.cause = entry.meaning + (f" ({found.cause})" if found.cause and found.client else "")
    found.fix = str(entry.get("fix") or found.fix or "")
    found.sources.append(entry.source)
    cutover = load_table("client_errors").lookup(f"reply.{entry.key}")
    if cutover is not None:
        found.cutover = _verdict(cutover.get("cutover"))
        found.reversible = str(cutover.get("reversible"))
        found.cause = f"{found.cause} {cutover.meaning}"
        found.sources.append(cutover.source)
    elif found.cutover == "unknown":
        found.cutover = "no"
    found.sources = list(dict.fromkeys(found.sources))


def _verdict(value: object) -> CutoverVerdict:
    """The knowledge table's ``cutover`` value; a value it should not hold reads unknown."""
    return cast(CutoverVerdict, value) if value in get_args(CutoverVerdict) else "unknown"


def _closest(body: str) -> list[str]:
    candidates: dict[str, str] = {}
    for entry in load_table("smtp_replies").entries:
        if entry.key.startswith("E") and entry.get("text"):
            code = " ".join(str(v) for v in (entry.get("code"), entry.get("enhanced")) if v)
            candidates[f"{code} {entry.get('text')}".strip()] = entry.key
    for entry, _pattern in _clients():
        candidates[f"{entry.get('client')}: {entry.meaning}"] = entry.key
    lowered = {c.lower(): c for c in candidates}
    close = difflib.get_close_matches(body.lower()[:300], list(lowered), n=_CLOSEST, cutoff=0.2)
    return [lowered[c] for c in close]
