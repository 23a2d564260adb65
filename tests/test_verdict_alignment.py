"""The verdict's alignment (each domain's forms computed once) gives what asking ``aligned``
about every pair gives, on domains that differ in case, spelling (IDN), depth and suffix."""

from __future__ import annotations

import itertools
import random

from o365diag.headers.alignment import aligned
from o365diag.headers.model import Alignment, Dkim, Spf
from o365diag.headers.verdict import _alignment

DOMAINS = [
    None,
    "",
    "example.com",
    "mail.example.com",
    "EXAMPLE.com",
    "example.net",
    "a.b.example.co.uk",
    "example.co.uk",
    "other.co.uk",
    "bücher.example",
    "xn--bcher-kva.example",
    "mail.bücher.example",
    "invalid..example",
]


def _alignment_pair_by_pair(spf: Spf, dkim: list[Dkim], from_domain: str | None) -> Alignment:
    domains = [d.domain for d in dkim if d.domain]
    passing = [d.domain for d in dkim if d.domain and d.result == "pass"]
    spf_aligned = aligned(spf.domain, from_domain)
    return Alignment(
        from_domain=from_domain,
        spf_domain=spf.domain,
        dkim_domains=domains,
        spf_aligned=spf_aligned,
        dkim_aligned=any(aligned(d, from_domain) for d in domains) if from_domain else None,
        spf_aligned_strict=aligned(spf.domain, from_domain, strict=True),
        dkim_aligned_strict=(
            any(aligned(d, from_domain, strict=True) for d in domains) if from_domain else None
        ),
        dmarc_pass_spf=bool(spf.result == "pass" and spf_aligned),
        dmarc_pass_dkim=any(aligned(d, from_domain) for d in passing),
    )


def test_alignment_matches_the_pair_by_pair_reading() -> None:
    rng = random.Random(7489)
    results = ["pass", "fail", None]
    for from_domain, spf_domain in itertools.product(DOMAINS, DOMAINS):
        spf = Spf(result=rng.choice(results), domain=spf_domain)
        for count in range(4):
            dkim = [
                Dkim(result=rng.choice(results), domain=rng.choice(DOMAINS)) for _ in range(count)
            ]
            assert _alignment(spf, dkim, from_domain) == _alignment_pair_by_pair(
                spf, dkim, from_domain
            ), (spf, dkim, from_domain)
