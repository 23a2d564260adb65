"""Choose the sending option from Microsoft's comparison table (knowledge/sending_options.json).

Each option's facts (recipients, hosting, Sent Items, ports, TLS, authentication, limits) are
data; the checks below only compare an answer with a fact, and every reason they give carries
the fact's source. Among the options that fit, the table's preference ranks decide.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache
from typing import Any

from o365diag.knowledge import Entry, Table, load_table
from o365diag.setup.answers import SetupAnswers
from o365diag.setup.model import FALLBACKS, Reason
from o365diag.typed import dump

__all__ = [
    "FALLBACKS",
    "MAIN_OPTIONS",
    "Reason",
    "Recommendation",
    "SendingOption",
    "Verdict",
    "judge",
    "load_options",
    "note",
    "recommend",
    "recommendation_for",
]

MAIN_OPTIONS = ("submission", "direct-send", "relay")
_FACTS = (
    "internal",
    "external",
    "third-party-hosted",
    "sent-items",
    "bypass-antispam",
    "ports",
    "tls",
    "authentication",
    "daily-recipient-limit",
)


@dataclass(frozen=True)
class SendingOption:
    """One way to send, with its facts from the comparison table."""

    name: str
    title: str
    summary: str
    endpoint: str | None
    port: int | None
    source: str
    facts: dict[str, Entry]

    def value(self, fact: str) -> Any:
        entry = self.facts.get(fact)
        return None if entry is None else entry.get("value")

    def fact(self, fact: str) -> Entry | None:
        return self.facts.get(fact)


@dataclass(frozen=True)
class Verdict:
    """An option judged against the answers: the reasons it does not fit, or why it would."""

    option: SendingOption
    reasons: tuple[Reason, ...]
    preference: str = ""

    @property
    def fits(self) -> bool:
        return not self.reasons

    @property
    def why(self) -> str:
        return " ".join(r.text for r in self.reasons)

    def to_dict(self) -> dict[str, Any]:
        return {
            "option": self.option.name,
            "title": self.option.title,
            "why": self.why,
            "reasons": [dump(r) for r in self.reasons],
        }


@dataclass(frozen=True)
class Recommendation:
    """The chosen option, why, the fitting alternatives and the options that do not fit."""

    option: SendingOption
    variant: str
    why: str
    sources: tuple[str, ...]
    alternatives: tuple[Verdict, ...]
    rejected: tuple[Verdict, ...]

    @property
    def name(self) -> str:
        return self.option.name

    @property
    def is_fallback(self) -> bool:
        return self.option.name in FALLBACKS

    def to_dict(self) -> dict[str, Any]:
        return {
            "option": self.option.name,
            "title": self.option.title,
            "variant": self.variant,
            "why": self.why,
            "sources": list(self.sources),
            "alternatives": [
                {"option": v.option.name, "title": v.option.title, "why": v.preference}
                for v in self.alternatives
            ],
            "rejected": [v.to_dict() for v in self.rejected],
        }


# -- the facts ------------------------------------------------------------------------------------
def _table() -> Table:
    return load_table("sending_options")


@cache
def load_options() -> dict[str, SendingOption]:
    table = _table()
    options = {}
    for name in (*MAIN_OPTIONS, *FALLBACKS):
        entry = _require(table, name)
        facts = {f: e for f in _FACTS if (e := table.lookup(f"{name}.{f}")) is not None}
        options[name] = SendingOption(
            name=name,
            title=str(entry.get("title")),
            summary=entry.meaning,
            endpoint=entry.get("endpoint"),
            port=entry.get("port"),
            source=entry.source,
            facts=facts,
        )
    return options


def note(key: str) -> Entry:
    """A cited fact from the table's ``note.*`` entries."""
    return _require(_table(), f"note.{key}")


def _preference(variant: str) -> Entry:
    return _require(_table(), f"preference.{variant}")


def _require(table: Table, key: str) -> Entry:
    entry = table.lookup(key)
    if entry is None:
        raise LookupError(f"sending_options has no entry {key!r}")
    return entry


# -- the checks: each compares one answer with one fact -------------------------------------------
Check = Callable[[SendingOption, SetupAnswers], str | None]


def _recipients(option: SendingOption, answers: SetupAnswers) -> str | None:
    if answers.needs_external and option.value("external") is False:
        return "It cannot deliver to recipients outside your organization."
    return None


def _hosting(option: SendingOption, answers: SetupAnswers) -> str | None:
    if answers.third_party_hosted and option.value("third-party-hosted") is False:
        return "It is not for applications hosted by a third party."
    return None


def _sent_items(option: SendingOption, answers: SetupAnswers) -> str | None:
    if answers.sent_items and option.value("sent-items") is False:
        return "It does not save a copy in Sent Items."
    return None


def _ports(option: SendingOption, answers: SetupAnswers) -> str | None:
    needed = set(option.value("ports") or ())
    if needed and not needed & answers.open_ports:
        wanted = " or ".join(str(p) for p in sorted(needed, reverse=True))
        return f"It needs outbound port {wanted}, which the device cannot reach."
    return None


def _tls(option: SendingOption, answers: SetupAnswers) -> str | None:
    if option.value("tls") == "required" and not answers.tls:
        return "It requires TLS 1.2 or later (STARTTLS), which the device does not support."
    return None


def _authentication(option: SendingOption, answers: SetupAnswers) -> str | None:
    kind = option.value("authentication")
    if kind == "mailbox" and answers.auth == "none":
        return "It needs SMTP AUTH (a mailbox's user name and password, or OAuth)."
    if kind == "ip-or-certificate" and not _connector_can_identify(answers):
        if answers.static_ips and not answers.ipv4_networks:
            return (
                "The connector cannot identify the device: connectors take IPv4 "
                "addresses only, and no TLS certificate is available."
            )
        return "It needs a static public IP address or a TLS client certificate (with TLS)."
    return None


def _volume(option: SendingOption, answers: SetupAnswers) -> str | None:
    limit = option.value("daily-recipient-limit")
    if isinstance(limit, int) and answers.volume_per_day > limit:
        expected = answers.volume_per_day
        return f"It is limited to {limit:,} recipients a day (you expect {expected:,})."
    return None


def _connector_can_identify(answers: SetupAnswers) -> bool:
    return bool(answers.ipv4_networks) or (answers.has_certificate and answers.tls)


CHECKS: tuple[tuple[str, Check], ...] = (
    ("external", _recipients),
    ("third-party-hosted", _hosting),
    ("sent-items", _sent_items),
    ("ports", _ports),
    ("tls", _tls),
    ("authentication", _authentication),
    ("daily-recipient-limit", _volume),
)


def judge(option: SendingOption, answers: SetupAnswers) -> Verdict:
    """Every reason ``option`` does not fit these answers (none: it fits)."""
    reasons = []
    for fact, check in CHECKS:
        text = check(option, answers)
        if text is not None:
            entry = option.fact(fact)
            source = entry.source if entry is not None else option.source
            reasons.append(Reason(fact, text, source))
    return Verdict(option, tuple(reasons))


# -- the choice -----------------------------------------------------------------------------------
def _variant(name: str, answers: SetupAnswers) -> str:
    if name != "submission":
        return name
    return "submission-oauth" if answers.auth == "oauth" else "submission-basic"


def _ranked(verdict: Verdict, answers: SetupAnswers) -> tuple[int, Verdict]:
    entry = _preference(_variant(verdict.option.name, answers))
    return int(entry.get("rank", 99)), Verdict(verdict.option, (), entry.meaning)


def recommend(answers: SetupAnswers) -> Recommendation:
    """The best option for these answers; HVE or another service only when none of the three fit."""
    options = load_options()
    verdicts = [judge(options[name], answers) for name in MAIN_OPTIONS]
    ranked = sorted((_ranked(v, answers) for v in verdicts if v.fits), key=lambda r: r[0])
    fitting = [verdict for _rank, verdict in ranked]
    rejected = [v for v in verdicts if not v.fits]
    if fitting:
        best = fitting[0]
        variant = _variant(best.option.name, answers)
        return Recommendation(
            best.option,
            variant,
            best.preference,
            _sources(best.option, _preference(variant)),
            tuple(fitting[1:]),
            tuple(rejected),
        )
    return _fallback(answers, rejected)


def recommendation_for(answers: SetupAnswers, name: str) -> Recommendation:
    """``name`` as if it had been chosen (another capability decided), with the reasons it
    does not fit these answers, if any, kept as rejections of itself."""
    option = load_options()[name]
    verdict = judge(option, answers)
    variant = _variant(name, answers)
    preference = _table().lookup(f"preference.{variant}")
    why = preference.meaning if preference is not None else option.summary
    sources = _sources(option, preference) if preference is not None else (option.source,)
    rejected = () if verdict.fits else (verdict,)
    return Recommendation(option, variant, why, sources, (), rejected)


def _fallback(answers: SetupAnswers, rejected: list[Verdict]) -> Recommendation:
    options = load_options()
    hve = judge(options["hve"], answers)
    if hve.fits:
        chosen = options["hve"]
        why = "None of the three options fits. " + chosen.summary
    else:
        rejected.append(hve)
        chosen = options["other"]
        why = "None of the Microsoft 365 options fits this device as it is. " + chosen.summary
    return Recommendation(chosen, chosen.name, why, (chosen.source,), (), tuple(rejected))


def _sources(option: SendingOption, preference: Entry) -> tuple[str, ...]:
    return tuple(dict.fromkeys(_nonempty((option.source, preference.source))))


def _nonempty(items: Iterable[str]) -> Iterable[str]:
    return (item for item in items if item)
