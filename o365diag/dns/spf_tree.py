"""The SPF include tree of a domain, walked concurrently, with lookup counts per record.

Unlike check_host(), which stops at the first match, the walk follows every include and
redirect and asks about every a/mx/exists target, one level at a time and all of a level at
once, to count the DNS-querying terms a receiver may have to evaluate (the worst case, when
nothing matches) and to find targets that do not exist. It is bounded: at most
``MAX_RECORDS`` records and no loops.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from o365diag.dns.model import SpfTerm, SpfTreeNode, TreeVia
from o365diag.dns.resolver import BadDomainName, DnsResult, Resolver, to_name
from o365diag.dns.spf_syntax import Mechanism, SpfRecord, SpfSyntaxError, is_spf_record

__all__ = ["MAX_RECORDS", "SpfTree", "TermInfo", "spf_tree"]

MAX_RECORDS = 40


@dataclass
class TermInfo:
    term: str
    lookups: int
    note: str = ""
    void: bool = False


@dataclass
class SpfTree:
    """One record in the tree; ``children`` are its includes, then its redirect."""

    domain: str
    via: TreeVia = "domain"
    record: str | None = None
    records_found: int = 0
    problem: str = ""
    dns_failure: str = ""
    terms: list[TermInfo] = field(default_factory=list)
    children: list[SpfTree] = field(default_factory=list)
    parsed: SpfRecord | None = None
    # Left unfetched because the walk reached MAX_RECORDS: nothing is known about it.
    not_followed: bool = False

    @property
    def lookups(self) -> int:
        """DNS-querying terms in this record alone."""
        return sum(t.lookups for t in self.terms)

    @property
    def total_lookups(self) -> int:
        return self.lookups + sum(c.total_lookups for c in self.children)

    @property
    def void_lookups(self) -> int:
        return sum(1 for t in self.terms if t.void)

    @property
    def total_void_lookups(self) -> int:
        return self.void_lookups + sum(c.total_void_lookups for c in self.children)

    @property
    def depth(self) -> int:
        """Levels of includes below this record (0 for a leaf)."""
        return 1 + max((c.depth for c in self.children), default=-1)

    def nodes(self) -> list[SpfTree]:
        """This record and every record below it, depth first."""
        out = [self]
        for child in self.children:
            out.extend(child.nodes())
        return out

    def includes(self, domain: str) -> bool:
        wanted = domain.lower()
        return any(n.domain.lower() == wanted for n in self.nodes()[1:])

    def to_node(self) -> SpfTreeNode:
        """This record and everything below it, as the domain check saves it."""
        return SpfTreeNode(
            domain=self.domain,
            via=self.via,
            record=self.record,
            problem=self.problem or None,
            lookups=self.lookups,
            total_lookups=self.total_lookups,
            void_lookups=self.void_lookups,
            terms=[SpfTerm(t.term, t.lookups, t.note or None, t.void) for t in self.terms],
            children=[c.to_node() for c in self.children],
        )


class _Budget:
    def __init__(self, limit: int) -> None:
        self.left = limit

    def take(self) -> bool:
        self.left -= 1
        return self.left >= 0


async def spf_tree(domain: str, resolver: Resolver, *, max_records: int = MAX_RECORDS) -> SpfTree:
    """Fetch ``domain``'s SPF record and everything it includes or redirects to."""
    return await _walk(domain, "domain", resolver, (), _Budget(max_records))


async def _walk(
    domain: str, via: TreeVia, resolver: Resolver, path: tuple[str, ...], budget: _Budget
) -> SpfTree:
    node = SpfTree(domain=domain, via=via)
    if domain.lower() in path:
        node.problem = "loop: this record includes itself through " + " -> ".join(path)
        return node
    if not budget.take():
        node.problem = f"not followed: the tree has more than {MAX_RECORDS} records"
        node.not_followed = True
        return node
    if not await _fetch(node, resolver):
        return node
    assert node.parsed is not None
    below = (*path, domain.lower())
    node.terms = [TermInfo(m.text, 1 if m.needs_lookup else 0) for m in node.parsed.mechanisms]
    jobs = [
        _follow(node, m, info, resolver, below, budget)
        for m, info in zip(node.parsed.mechanisms, node.terms, strict=True)
    ]
    node.children = [child for child in await asyncio.gather(*jobs) if child is not None]
    redirect = node.parsed.redirect
    if redirect is not None and node.parsed.all_mechanism is None:
        node.terms.append(TermInfo(redirect.text, 1))
        target = _literal_target(redirect.value, domain)
        if target is not None:
            node.children.append(await _walk(target, "redirect", resolver, below, budget))
    elif redirect is not None:
        node.terms.append(TermInfo(redirect.text, 0, "ignored: the record has an 'all' term"))
    return node


async def _fetch(node: SpfTree, resolver: Resolver) -> bool:
    try:
        answer = await resolver.query(node.domain, "TXT")
    except BadDomainName as exc:
        node.problem = str(exc)
        return False
    if answer.failed:
        node.problem = node.dns_failure = answer.describe()
        return False
    records = [t for t in answer.texts() if is_spf_record(t)]
    node.records_found = len(records)
    if len(records) != 1:
        node.problem = (
            f"{node.domain} publishes no SPF record ({answer.outcome.value})"
            if not records
            else f"{node.domain} publishes {len(records)} SPF records"
        )
        node.record = records[0].decode("utf-8", "replace") if records else None
        return False
    node.record = records[0].decode("utf-8", "replace")
    try:
        if not records[0].isascii():
            raise SpfSyntaxError("the record is not 7-bit ASCII")
        node.parsed = SpfRecord.parse(node.record)
    except SpfSyntaxError as exc:
        node.problem = f"syntax error: {exc}"
        return False
    return True


async def _follow(
    node: SpfTree,
    mechanism: Mechanism,
    info: TermInfo,
    resolver: Resolver,
    path: tuple[str, ...],
    budget: _Budget,
) -> SpfTree | None:
    """Ask what the term needs; an include returns its subtree."""
    if mechanism.name == "ptr":
        info.note = "ptr is slow and discouraged (RFC 7208 5.5)"
    if mechanism.name not in ("include", "a", "mx", "exists"):
        return None
    target = _literal_target(mechanism.domain_spec or node.domain, node.domain)
    if target is None:
        info.note = "depends on the sender (macro): not followed"
        return None
    if mechanism.name == "include":
        return await _walk(target, "include", resolver, path, budget)
    rdtype = {"a": "A", "mx": "MX", "exists": "A"}[mechanism.name]
    await _probe(info, target, rdtype, resolver)
    return None


async def _probe(info: TermInfo, target: str, rdtype: str, resolver: Resolver) -> None:
    try:
        answer: DnsResult = await resolver.query(target, rdtype)
    except BadDomainName as exc:
        info.note = str(exc)
        return
    if answer.void:
        info.void = True
        info.note = answer.describe()
    elif answer.failed:
        info.note = answer.describe()
    elif rdtype == "MX" and len(answer.records) > 10:
        info.note = f"{target} has {len(answer.records)} MX records: over the limit of 10"


def _literal_target(spec: str, domain: str) -> str | None:
    """The target when it holds no macro other than %{d}; None when it depends on the sender."""
    text = spec.replace("%{d}", domain)
    if "%" in text:
        return None
    text = text.rstrip(".")
    try:
        to_name(text)
    except BadDomainName:
        return None
    return text
