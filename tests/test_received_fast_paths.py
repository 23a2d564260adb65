"""The Received parser's shortcuts give what its general paths give.

Each shortcut here skips work the general path does (a date read from its pattern's pieces, a
hop's ISO timestamp text kept from when its date was read); each test fails when the shortcut
reads anything differently from the general path on the same input.
"""

from __future__ import annotations

import dataclasses
import random
import re

from o365diag.headers import received as R
from o365diag.headers.received import build_chain
from tests.test_headers_fast_paths import _received_values
from tests.test_received import REAL_SAMPLES

_DATE_PIECES = re.compile(R._DATE_PARTS_RE)
# Pieces that name a moment, and pieces that do not (each list: the usual ones, the odd ones)
_DAYS = (["1", "01", "9", "09", "28", "29", "30", "31"], ["0", "00", "32", "99"])
_MONTHS = (["Jan", "FEB", "mAr", "Apr", "Jun", "Sep", "Dec"], ["Xyz", "Mai"])
_YEARS = (["2024", "2025", "2100", "2000", "0001", "0999", "9999", "1969"], ["0000"])
_HOURS = (["0", "00", "9", "09", "12", "19", "23"], ["24", "25", "99"])
_MINUTES = (["00", "05", "59"], ["60", "99"])
_SECONDS = (["00", "05", "59"], ["60", "61"])
_ZONES = (["+0000", "-0000", "+0100", "-0500", "+0530", "+1400", "-2359"], ["+2400", "+0075"])


def _piece(rng: random.Random, pieces: tuple[list[str], list[str]]) -> str:
    return rng.choice(pieces[rng.random() < 0.1])


def _date_text(rng: random.Random) -> str:
    weekday = rng.choice(["", "Sun, ", "Mon,  ", "Xyz, "])
    day = f"{_piece(rng, _DAYS)} {_piece(rng, _MONTHS)} {_piece(rng, _YEARS)}"
    clock = f"{_piece(rng, _HOURS)}:{_piece(rng, _MINUTES)}:{_piece(rng, _SECONDS)}"
    comment = rng.choice(["", " (UTC)", " (CEST)"])
    return f"{weekday}{day} {clock} {_piece(rng, _ZONES)}{comment}"


def test_date_read_from_its_pieces_is_the_date_read_in_full() -> None:
    rng = random.Random(5322)
    read = 0
    for _ in range(6000):
        text = _date_text(rng)
        match = _DATE_PIECES.fullmatch(text)
        assert match is not None, text
        shortcut = R._read_date(text, None, match.groups()[1:])
        assert shortcut == R._read_date(text, None), text  # no pieces: the general reader
        moment, _, _, iso = shortcut
        assert iso == R._iso(moment), text
        read += R._read_date_parts(text, match.groups()[1:]) is not None
    assert read > 2000  # enough of them taken by the shortcut for the comparison to mean much


def test_edge_dates_read_from_their_pieces_as_in_full() -> None:
    for text in [
        "29 Feb 2024 23:59:59 -0000",  # a leap day, written with the "unknown zone" sign
        "29 Feb 2025 10:00:00 +0000",  # no such day
        "Sat, 31 Dec 2016 23:59:60 +0000",  # a leap second: the general reader's note
        "1 Jan 2025 24:00:00 +0000",  # no hour 24
        "1 Jan 0001 00:30:00 +0100",  # before the first moment a datetime holds
        "31 Dec 9999 23:30:00 -0100",  # after the last one
        "Sun,  5 Jan 2025 9:05:07 +0000",  # a padded day and a one-digit hour
    ]:
        match = _DATE_PIECES.fullmatch(text)
        assert match is not None, text
        assert R._read_date(text, None, match.groups()[1:]) == R._read_date(text, None), text


def _chains() -> list[list[str]]:
    values = REAL_SAMPLES + _received_values()
    return [values[start : start + 15] for start in range(0, len(values), 15)]


def test_hop_json_of_a_chain_hop_is_that_of_the_same_hop_constructed() -> None:
    """A hop from build_chain keeps its timestamp's ISO text from when its date was read;
    one made by the dataclass's constructor (dataclasses.replace makes one) makes it anew."""
    compared = 0
    for chain in _chains():
        for hop in build_chain(chain).hops:
            constructed = dataclasses.replace(hop)
            assert constructed == hop
            assert hop.to_dict() == constructed.to_dict(), hop.raw
            assert hop.to_dict()["timestamp"] == R._iso(hop.timestamp), hop.raw
            compared += hop.timestamp is not None
    assert compared > 300


def _ipv6_texts(rng: random.Random) -> list[str]:
    """Ways to write one address of 2001:db8::/32: each group with or without leading zeros,
    in either case, and any run of zero groups (or none) written as "::"."""
    groups = [0x2001, 0xDB8] + [rng.choice([0, 0, 1, 0xA, 0xFF, 0xDB8, 0xFFFF]) for _ in range(6)]
    texts = []
    for _ in range(4):
        written = [
            format(group, rng.choice(["x", "X", "04x", "02x"]))
            for group in groups  # "02x" of a wider group is the group as it is
        ]
        start = rng.randrange(2, 9)
        end = rng.randrange(start, 9)
        if end > start and all(group == 0 for group in groups[start:end]):
            texts.append(":".join(written[:start]) + "::" + ":".join(written[end:]))
        texts.append(":".join(written))
    return texts


def _ipv4_texts(rng: random.Random) -> list[str]:
    network = rng.choice(["192.0.2", "198.51.100", "203.0.113", "192.00.2", "0192.0.2"])
    number = rng.randrange(0, 300)
    return [f"{network}.{number}", f"{network}.{number:03d}", f"{network}.{number:02d}"]


def test_address_kept_as_written_is_the_address_written_as_inet_ntop_writes_it() -> None:
    rng = random.Random(4291)
    texts = [
        "2001:db8::", "2001:db8:1:2:3:4:5::", "2001:db8:1:2:3:4::5", "2001:db8:1:2:3::4:5",
        "2001:db8:1:2:3:4:5:6:7", "2001:db8::1::2", "::ffff:192.0.2.1", "::192.0.2.1", "::",
        "::2001:db8:1", "2001:db8:0:0:1::1", "2001:db8::1:0:0:1", "2001:db8:::1", ":2001:db8::1",
        "2001:db8::1:", "2001:db8::1%eth0", "2001:db8::1\n", "192.0.2.1\n", "192.0.2.1.",
        "192.0.2", "192.0.2.1.2", "1e2.0.2.1", "2001:db8:1:2:3:4:192.0.2.1", "2001:db8::c000:201",
    ]  # fmt: skip
    for _ in range(3000):
        texts += _ipv6_texts(rng) + _ipv4_texts(rng)
    kept = 0
    for text in texts:
        assert R.canonical_ip(text) == R._converted_ip(text), text
        kept += R.canonical_ip(text) is text
    assert kept > 3000  # the shortcut was taken often enough to mean something


def test_address_after_a_user_is_the_one_the_piece_by_piece_scan_finds() -> None:
    """qmail's "(user@192.0.2.1)": what _first_ip reads without its scan, the scan reads."""
    users = [
        "", "maria.silva", "sam", "x", "helo", "HELO", "Ehlo", "heLo", "hel", "helos", "x" * 70,
        "dead.beef", "192.0.2.1", "1.2.3.4.5", "IPv6:2001:db8::1", "é.user", "K\u212aelvin",
        "user:name", "a.b.c.d.e", ":", "0", "ivan", "ip",
    ]  # fmt: skip
    addresses = ["192.0.2.201", "192.0.2.01", "192.0.2.256", "0.0.0.0", "999.1.1.1", "1.2.3.4"]
    taken = 0
    for user in users:
        for address in addresses:
            text = f"{user}@{address}"
            assert R._first_ip(text) == R._scan_for_ip(text), text
            taken += R._USER_AT_IPV4.fullmatch(text) is not None
    assert taken == len(users) * len(addresses)


_DATE = "Sun, 15 Jun 2025 19:27:32 +0000"


def test_one_word_reader_reads_versions_and_qmail_addresses_as_the_lexers() -> None:
    values = [
        # a version named in a word of a part's rest is none: only comments name TLS
        f"from a.example (b.example [192.0.2.1]) by c.example (x) TLSv1.2 (TLSv1.3) with ESMTP"
        f" id 1; {_DATE}",
        f"from a.example (b.example [192.0.2.1]) by c.example (x) TLSv1.2 with ESMTP; {_DATE}",
        f"from a.example (b.example [192.0.2.1]) by c.example (x) SSLv3 (TLS) with X; {_DATE}",
        f"from a.example (x) (y (TLSv1.1) z) TLSv1.2 by c.example with ESMTPS; {_DATE}",
        f"from a.example (TLSv1.0) by c.example (TLSv1.3); {_DATE}",
        f"from a.example (b.example [192.0.2.1]) by c.example with ESMTP; {_DATE} (TLS)",
        # qmail: the address after the user, in the first comment or a later one
        f"from unknown (HELO laptop-58) (maria.silva@192.0.2.201) by smtp.example; {_DATE}",
        f"from unknown (HELO 192.0.2.9) (helo@192.0.2.201) by smtp.example; {_DATE}",
        f"from unknown (HELO laptop) (dead.beef@192.0.2.201) by smtp.example; {_DATE}",
        f"from unknown (sam@192.0.2.47) by smtp.example with ESMTPA; {_DATE}",
        f"from 192.0.2.5 (HELO laptop) (no address) by smtp.example; {_DATE}",
        f"from laptop (HELO laptop) (x) 192.0.2.6 by smtp.example; {_DATE}",
    ]
    for value in values:
        fields = R._one_word_hop_fields(value)
        assert fields is not None, value
        assert fields == R._lexed_hop_fields(value), value


def _exchange_hop(
    host: str = "mx.example.com", zone: str = "", cipher: str = "TLS_AES_256_GCM_SHA384"
) -> str:
    return (
        f"from {host} (2001:db8::5{zone}) by {host} ([2001:db8::6{zone}]) with Microsoft SMTP"
        f" Server (version=TLS1_3, cipher={cipher}) id 15.20.8511.20; {_DATE}"
    )


def test_exchange_reader_takes_parts_at_their_longest_and_declines_longer_ones() -> None:
    """Exchange's pattern takes a host, zone, cipher and id whole (no shorter try): at the
    limits of their lengths it reads what the lexers read, or declines."""
    label = "a" * 62
    longest_host = ".".join([label] * 4) + ".ab"
    assert len(longest_host) == 254
    taken = [
        _exchange_hop(longest_host),
        _exchange_hop("a"),
        _exchange_hop(zone="%" + "z" * 20),
        _exchange_hop(cipher="X" * 80),
        _exchange_hop().replace("15.20.8511.20", "1" * 40),
    ]
    declined = [
        _exchange_hop(longest_host + "a"),
        _exchange_hop("mx.example.com-"),
        _exchange_hop("mx.example.com."),
        _exchange_hop(zone="%" + "z" * 21),
        _exchange_hop(cipher="X" * 81),
        _exchange_hop().replace("15.20.8511.20", "1" * 41),
    ]
    for value in taken:
        fields = R._exchange_hop_fields(value)
        assert fields is not None, value
        assert fields == R._lexed_hop_fields(value), value
    for value in declined:
        assert R._exchange_hop_fields(value) is None, value
        assert R.parse_received(value).by_host  # the other readers read it


def test_delays_skew_and_total_are_those_of_the_timestamps() -> None:
    """build_chain's running sums against a plain reading of its hops' timestamps, on chains
    whose hops are shuffled so that many delays are negative (skew or truncation)."""
    rng = random.Random(5321)
    chains = _chains()
    for chain in list(chains):
        chains.append(rng.sample(chain, len(chain)))
    skewed = 0
    for values in chains:
        chain = build_chain(values)
        previous, delays = None, []
        for hop in chain.hops:
            delay = None
            if hop.timestamp is not None:
                if previous is not None:
                    delay = (hop.timestamp - previous).total_seconds()
                    delays.append(delay)
                previous = hop.timestamp
            assert hop.delay_seconds == delay, hop.raw
            assert hop.clock_skew == (delay is not None and delay <= -R.SKEW_TOLERANCE_SECONDS)
            skewed += hop.clock_skew
        dated = sum(hop.timestamp is not None for hop in chain.hops)
        total = sum(max(delay, 0.0) for delay in delays) if dated >= 2 else None
        assert chain.total_transit_seconds == total, values
    assert skewed > 20
