"""Large, real-looking header sets for the header benchmark (about 10 KB each).

Each set is what a mailbox in Exchange Online shows for a message that came through a mailing
list and a filtering gateway: 15 Received hops written by Exchange, Postfix, Exim, Sendmail and
qmail; an ARC chain of three instances; two DKIM signatures (1024-bit RSA and Ed25519 keys);
Microsoft's full anti-spam stamps (with the long Message-Info and MessageData blobs),
SpamAssassin's, and the usual addressing and MIME headers. Names and addresses are
documentation ones (example.*, *.test, 192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24,
2001:db8::/32), except Microsoft's own host names. The same seed gives the same bytes.

    python -m benchmarks.header_corpus OUT_DIR [--count 200] [--seed 42]
"""

from __future__ import annotations

import argparse
import base64
import random
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

__all__ = ["generate", "header_set"]

_ORGS = ("fabrikam.test", "contoso.example", "example.org", "tailspin.example", "example.net")
_PEOPLE = ("jordan.reyes", "sam.taylor", "alex.kim", "noor.haddad", "li.wei", "maria.silva")
_VERDICTS = (
    ("pass", "100", "NSPM", "NONE", 1, 0),
    ("pass", "109", "NSPM", "NONE", 1, 2),
    ("softpass", "201", "NSPM", "BULK", 5, 7),
    ("fail", "601", "SPM", "SPOOF", 5, 0),
    ("pass", "130", "NSPM", "NONE", 1, 0),
)
_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def _b64(rng: random.Random, size: int) -> str:
    return base64.b64encode(rng.randbytes(size)).decode()


def _fold(text: str, width: int = 64, indent: str = "\t ") -> str:
    return f"\n{indent}".join(text[i : i + width] for i in range(0, len(text), width))


def _date(moment: datetime, zone_hours: int = 0, spaced: bool = False) -> str:
    local = moment + timedelta(hours=zone_hours)
    sign = "+" if zone_hours >= 0 else "-"
    day = f"{local.day:2d}" if spaced else str(local.day)
    return (
        f"{_WEEKDAYS[local.weekday()]}, {day} {local.strftime('%b %Y %H:%M:%S')} "
        f"{sign}{abs(zone_hours):02d}00"
    )


def _ip4(rng: random.Random) -> str:
    return f"{rng.choice(('192.0.2', '198.51.100', '203.0.113'))}.{rng.randint(1, 254)}"


def _ip6(rng: random.Random) -> str:
    return (
        f"2001:db8:{rng.randint(1, 0xFFFF):x}:{rng.randint(1, 0xFFFF):x}::{rng.randint(1, 0xFF):x}"
    )


def _server(rng: random.Random, prefix: str) -> str:
    region = rng.choice(("namprd12", "eurprd05", "apcprd03", "namprd05"))
    return f"{prefix}{rng.randint(1, 9)}PR{rng.randint(10, 99)}MB{rng.randint(1000, 9999)}.{region}"


def _received_chain(rng: random.Random, start: datetime, sender: str, org: str) -> list[str]:
    """Fifteen Received headers, newest first, as each kind of server writes them."""
    moment = start
    hops: list[str] = []

    def later(seconds: float) -> datetime:
        nonlocal moment
        moment += timedelta(seconds=seconds)
        return moment

    client = _ip4(rng)
    gateway_ip, list_ip, relay_ip = _ip4(rng), _ip4(rng), _ip4(rng)
    eop = f"{_server(rng, 'CY4PEPF0000E')}.prod.outlook.com"
    frontend = f"{_server(rng, 'CY5')}.prod.outlook.com"
    mailbox = f"{_server(rng, 'DM8')}.prod.outlook.com"
    store = f"{_server(rng, 'CH2')}.prod.outlook.com"
    hops.append(  # 1 submission from the sender's laptop (qmail, authenticated)
        f"Received: from unknown (HELO laptop-{rng.randint(1, 99)}) ({sender}@{client})\n"
        f"  by smtp.{org} with ESMTPA; {later(0).strftime('%d %b %Y %H:%M:%S')} -0000"
    )
    hops.append(  # 2 the sender's Sendmail relay
        f"Received: from smtp.{org} (smtp.{org} [{client}])\n"
        f"\tby relay.{org} (8.15.2/8.15.2) with ESMTPS id {_b64(rng, 9)[:14]}\n"
        f"\t(version=TLSv1.3 cipher=TLS_AES_256_GCM_SHA384 bits=256 verify=NOT)\n"
        f"\tfor <dev@lists.example.org>; {_date(later(1.5), -5)}"
    )
    hops.append(  # 3 the list server's Postfix
        f"Received: from relay.{org} (relay.{org} [{relay_ip}])\n"
        "\t(using TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits)\n"
        "\t key-exchange X25519 server-signature RSA-PSS (2048 bits) server-digest SHA256)\n"
        "\t(No client certificate requested)\n"
        f"\tby lists.example.org (Postfix) with ESMTPS id 4Z8M{_b64(rng, 6)[:8]}\n"
        f"\tfor <dev@lists.example.org>; {_date(later(2), 0, spaced=True)} (UTC)"
    )
    hops.append(  # 4 the list manager handing back to Postfix
        "Received: from lists.example.org (localhost [127.0.0.1])\n"
        f"\tby lists.example.org (Postfix) with ESMTP id 4Z8N{_b64(rng, 6)[:8]}\n"
        f"\tfor <team@{_ORGS[1]}>; {_date(later(3), 0, spaced=True)} (UTC)"
    )
    hops.append(  # 5 the recipient's filtering gateway (Exim)
        f"Received: from lists.example.org ([{list_ip}]:{rng.randint(30000, 65000)} "
        "helo=lists.example.org)\n"
        "\tby gw1.contoso.example with esmtps (TLS1.3) tls TLS_AES_256_GCM_SHA384\n"
        "\t(Exim 4.96) (envelope-from <dev-bounces@lists.example.org>)\n"
        f"\tid 1u{_b64(rng, 4)[:4]}-000{rng.randint(100, 999)}-Qr\n"
        f"\tfor team@contoso.example; {_date(later(rng.uniform(0.5, 4)))}"
    )
    hops.append(  # 6 gateway scanner loopback
        "Received: from localhost ([127.0.0.1] helo=gw1.contoso.example)\n"
        "\tby gw1.contoso.example with esmtp (Exim 4.96)\n"
        f"\tid 1u{_b64(rng, 4)[:4]}-000{rng.randint(100, 999)}-Zx; {_date(later(1))}"
    )
    hops.append(  # 7 gateway to Exchange Online protection
        f"Received: from gw1.contoso.example ({gateway_ip}) by\n"
        f" {eop.replace('prod.outlook.com', 'mail.protection.outlook.com')}\n"
        f" ({_ip6(rng)}) with Microsoft SMTP Server (version=TLS1_3,\n"
        " cipher=TLS_AES_256_GCM_SHA384) id 15.20.8511.20 via Frontend Transport;\n"
        f" {_date(later(rng.uniform(0.2, 2)))}"
    )
    for source, target, kind in (  # 8-15 inside Exchange Online
        (eop, frontend, "frontend"),
        (frontend, mailbox, "smtp"),
        (mailbox, store, "https"),
        (store, mailbox, "https"),
        (mailbox, store, "smtp"),
        (store, frontend, "https"),
        (frontend, mailbox, "https"),
        (mailbox, store, "https"),
    ):
        stamp = _date(later(rng.uniform(0.1, 1.5)))
        if kind == "https":
            hops.append(f"Received: from {source} ({_ip6(rng)}) by\n {target} with HTTPS; {stamp}")
            continue
        via = " via Frontend Transport" if kind == "frontend" else ""
        hops.append(
            f"Received: from {source} ({_ip6(rng)})\n by {target} ({_ip6(rng)}) with\n"
            " Microsoft SMTP Server (version=TLS1_2,\n"
            f" cipher=TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384) id 15.20.8511.{rng.randint(10, 40)}"
            f"{via};\n {stamp}"
        )
    return hops[::-1]


def _arc_set(rng: random.Random, instance: int, domain: str, sender_domain: str) -> list[str]:
    results = (
        f"ARC-Authentication-Results: i={instance}; {domain};\n"
        f"\tspf=pass (sender ip is {_ip4(rng)}) smtp.mailfrom=lists.example.org;\n"
        f"\tdkim=pass (signature was verified) header.d={sender_domain} header.s=s{instance}\n"
        f" header.b={_b64(rng, 6)};\n"
        f'\tdmarc=pass (p=reject sp=reject dis=none) header.from={sender_domain}; arc=pass ("i='
        f'{instance - 1}" ams-verified)'
    )
    signature = (
        f"ARC-Message-Signature: i={instance}; a=rsa-sha256; c=relaxed/relaxed; d={domain};\n"
        f"\ts=arcselector{rng.randint(1000, 9999)}; t={_stamp(rng)};\n"
        "\th=From:Date:Subject:Message-ID:Content-Type:MIME-Version;\n"
        f"\tbh={_b64(rng, 32)};\n\tb={_fold(_b64(rng, 128))}"
    )
    seal = (
        f"ARC-Seal: i={instance}; a=rsa-sha256; s=arcselector{rng.randint(1000, 9999)}; "
        f"d={domain}; cv={'none' if instance == 1 else 'pass'};\n\tb={_fold(_b64(rng, 128))}"
    )
    return [seal, signature, results]


def _antispam(rng: random.Random, verdict: tuple[str, str, str, str, int, int]) -> list[str]:
    _compauth, _reason, sfv, cat, scl, bcl = verdict
    sfs = "".join(f"({rng.randint(1000, 99999999)})" for _ in range(rng.randint(10, 16)))
    ara = "|".join(str(rng.randint(10_000_000, 99_999_999_999)) for _ in range(12))
    delivery = "".join(f"({rng.randint(100000, 999999999)})" for _ in range(9))
    return [
        f"X-Forefront-Antispam-Report:\n CIP:{_ip4(rng)};CTRY:US;LANG:en;SCL:{scl};SRV:;IPV:NLI;"
        f"SFV:{sfv};H:gw1.contoso.example;PTR:gw1.contoso.example;CAT:{cat};SFS:{sfs};DIR:INB;",
        f"X-Microsoft-Antispam: BCL:{bcl};ARA:{ara};",
        f"X-Microsoft-Antispam-Message-Info:\n\t{_fold(_b64(rng, 300), 76)}",
        "X-MS-Exchange-AntiSpam-MessageData-ChunkCount: 1",
        f"X-MS-Exchange-AntiSpam-MessageData-0:\n\t{_fold(_b64(rng, 160), 76)}",
        f"X-Microsoft-Antispam-Mailbox-Delivery:\n ucf:0;jmr:0;auth:0;dest:I;ENG:{delivery};",
        f"X-MS-Exchange-Organization-SCL: {scl}",
        "X-MS-Exchange-Organization-AuthAs: Anonymous",
        f"X-MS-Exchange-Organization-AuthSource: {_server(rng, 'CY4')}.prod.outlook.com",
        "X-MS-Exchange-Organization-MessageDirectionality: Incoming",
        f"X-MS-Exchange-Organization-Network-Message-Id: {_guid(rng)}",
        f"X-MS-Office365-Filtering-Correlation-Id: {_guid(rng)}",
        "X-MS-TrafficTypeDiagnostic: CY4PEPF0000E9D5:EE_|DM8PR12MB5447:EE_|CH2PR12MB4326:EE_",
        "X-MS-Exchange-CrossTenant-OriginalArrivalTime: 07 Mar 2025 15:58:10."
        f"{rng.randint(1000, 9999)} (UTC)",
        f"X-MS-Exchange-CrossTenant-Network-Message-Id: {_guid(rng)}",
        f"X-MS-Exchange-CrossTenant-Id: {_guid(rng)}",
        "X-MS-Exchange-CrossTenant-AuthAs: Anonymous",
        "X-MS-Exchange-CrossTenant-FromEntityHeader: Internet",
        f"X-MS-Exchange-Transport-EndToEndLatency: 00:00:{rng.randint(1, 59):02d}.0628648",
        "X-EOPAttributedMessage: 0",
        f"X-Spam-Status: No, score=-{rng.randint(0, 4)}.{rng.randint(0, 9)} required=5.0 "
        "tests=BAYES_00,DKIM_SIGNED,\n\tDKIM_VALID,DKIM_VALID_AU,DMARC_PASS,RCVD_IN_DNSWL_NONE,"
        "SPF_HELO_NONE,SPF_PASS\n\tautolearn=ham autolearn_force=no version=3.4.6",
        "X-Spam-Checker-Version: SpamAssassin 3.4.6 (2021-04-09) on gw1.contoso.example",
        "X-Spam-Level: ",
    ]


def _stamp(rng: random.Random) -> int:
    return rng.randint(1_700_000_000, 1_800_000_000)


def _guid(rng: random.Random) -> str:
    text = rng.randbytes(16).hex()
    return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"


def header_set(rng: random.Random) -> bytes:
    """One header set, about 10 KB."""
    sender, org = rng.choice(_PEOPLE), rng.choice(_ORGS)
    verdict = rng.choice(_VERDICTS)
    start = datetime(2025, 3, 1, tzinfo=UTC) + timedelta(seconds=rng.randint(0, 86400 * 200))
    top = [
        f"Authentication-Results: spf=pass (sender IP is {_ip4(rng)})\n"
        f" smtp.mailfrom=lists.example.org; dkim=pass (signature was verified)\n"
        f" header.d={org};dmarc=pass action=none\n"
        f" header.from={org};compauth={verdict[0]} reason={verdict[1]}",
        f"Received-SPF: Pass (protection.outlook.com: domain of lists.example.org\n"
        f" designates {_ip4(rng)} as permitted sender)\n receiver=protection.outlook.com; "
        f"client-ip={_ip4(rng)};\n helo=gw1.contoso.example; pr=C",
    ]
    arc = [line for i in (3, 2, 1) for line in _arc_set(rng, i, _ORGS[i], org)]
    dkim = [  # an Ed25519 and an RSA-2048 signature, as many senders now add both
        f"DKIM-Signature: v=1; a={algorithm}; c=relaxed/relaxed; d={org}; s=s{size};\n"
        f"\tt={rng.randint(1_700_000_000, 1_800_000_000)}; "
        "h=From:To:Subject:Date:Message-ID:List-Id:List-Unsubscribe;\n"
        f"\tbh={_b64(rng, 32)};\n\tb={_fold(_b64(rng, size))}"
        for algorithm, size in (("ed25519-sha256", 64), ("rsa-sha256", 128))
    ]
    addressing = [
        f"From: =?utf-8?Q?{sender.title().replace('.', '_')}?= <{sender}@{org}>",
        "To: team@contoso.example, " + ", ".join(f"{p}@contoso.example" for p in _PEOPLE[:4]),
        f"Cc: dev@lists.example.org, {rng.choice(_PEOPLE)}@{rng.choice(_ORGS)}",
        "Subject: =?utf-8?B?"
        + base64.b64encode(f"[dev] Relais TLS {rng.randint(1, 999)} — réunion".encode()).decode()
        + "?=",
        f"Date: {_date(start, -5)}",
        f"Message-ID: <{_guid(rng)}@{org}>",
        "References: " + "\n ".join(f"<{_guid(rng)}@{org}>" for _ in range(2)),
        f"In-Reply-To: <{_guid(rng)}@{org}>",
        "MIME-Version: 1.0",
        'Content-Type: multipart/alternative; boundary="b1_' + _guid(rng) + '"',
        "List-Id: Project developers <dev.lists.example.org>",
        "List-Unsubscribe: <mailto:dev-leave@lists.example.org>",
        "Return-Path: dev-bounces@lists.example.org",
    ]
    received = _received_chain(rng, start, sender, org)
    lines = received[:3] + top + received[3:5] + arc + received[5:] + dkim
    lines += _antispam(rng, verdict) + addressing
    return ("\n".join(lines) + "\n").encode()


def generate(count: int, seed: int = 42) -> list[bytes]:
    rng = random.Random(seed)
    return [header_set(rng) for _ in range(count)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="write large header sets for the benchmark")
    parser.add_argument("out", type=Path)
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    sets = generate(args.count, args.seed)
    for number, data in enumerate(sets):
        (args.out / f"{number:05d}.eml").write_bytes(data)
    average = sum(map(len, sets)) / len(sets)
    print(f"wrote {len(sets)} header sets to {args.out} ({average:,.0f} bytes on average)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
