"""Server text made safe where it enters the probe, the one point every output comes from.

A hostile or careless server may repeat a credential in its reply: the password, its base64
(a LOGIN answer), the PLAIN blob or the XOAUTH2 token or blob, even split over the lines of a
multi-line reply. :class:`ReplyFilter` sits between the socket and aiosmtplib: it lets a reply
through only once its last line has arrived, with every credential form replaced, so the replies,
step results, findings, transcript and every renderer downstream only ever see scrubbed text.
It also turns a line that is not UTF-8 (a Latin-1 ``220 ... prêt``) into UTF-8, so no
undecodable byte travels on into JSON, HTML or the terminal.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

__all__ = ["REDACTED", "ReplyFilter", "Scrubber"]

REDACTED = "<redacted>"
# Shorter values would blank out ordinary words of every reply.
MIN_SECRET_CHARS = 3
# What starts a reply line ("535-" or "535 ") and, on the lines after the first, a repeated
# RFC 3463 code: a secret split over two lines is searched for with both left out.
_REPLY_CODE = re.compile(r"\d{3}[ -]?")
_ENHANCED_CODE = re.compile(r"[245]\.\d{1,3}\.\d{1,3} ")


class Scrubber:
    """Replaces every known secret form in text, also across the lines of one reply."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self.secrets: list[str] = []
        self.add(secrets)

    def add(self, secrets: Iterable[str]) -> None:
        """Know more secrets; the longest are replaced first, so no part of one is left."""
        known = {*self.secrets, *(s for s in secrets if len(s) >= MIN_SECRET_CHARS)}
        self.secrets = sorted(known, key=len, reverse=True)

    def __bool__(self) -> bool:
        return bool(self.secrets)

    def text(self, text: str) -> str:
        """One line or any text, each occurrence of a secret replaced."""
        for secret in self.secrets:
            if secret in text:
                text = text.replace(secret, REDACTED)
        return text

    def reply(self, lines: list[str]) -> list[str]:
        """The lines of one reply, with a secret replaced even where it runs from one line
        into the next; the line count and each line's reply code stay as they were."""
        if not self.secrets:
            return lines
        prefixes, payloads = _split_codes(lines)
        joined = "".join(payloads)
        hidden = _merge(self._occurrences(joined))
        if not hidden:
            return lines
        scrubbed, start = [], 0
        for prefix, payload in zip(prefixes, payloads, strict=True):
            scrubbed.append(prefix + _blank_ranges(payload, start, hidden))
            start += len(payload)
        return scrubbed

    def _occurrences(self, text: str) -> list[tuple[int, int]]:
        found: list[tuple[int, int]] = []
        for secret in self.secrets:
            at = text.find(secret)
            while at >= 0:
                found.append((at, at + len(secret)))
                at = text.find(secret, at + len(secret))
        return found


def _split_codes(lines: list[str]) -> tuple[list[str], list[str]]:
    prefixes, payloads = [], []
    for index, line in enumerate(lines):
        code = _REPLY_CODE.match(line)
        cut = code.end() if code else 0
        if index and (enhanced := _ENHANCED_CODE.match(line, cut)):
            cut = enhanced.end()
        prefixes.append(line[:cut])
        payloads.append(line[cut:])
    return prefixes, payloads


def _merge(ranges: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(ranges):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def _blank_ranges(payload: str, offset: int, hidden: list[tuple[int, int]]) -> str:
    """``payload`` (starting at ``offset`` of the joined reply) with the hidden parts replaced."""
    out, at = [], 0
    for start, end in hidden:
        lo, hi = max(start - offset, 0), min(end - offset, len(payload))
        if lo >= hi or lo < at:
            continue
        out += [payload[at:lo], REDACTED]
        at = hi
    out.append(payload[at:])
    return "".join(out)


class ReplyFilter:
    """Bytes from the server in, whole scrubbed UTF-8 replies out; the rest is held back.

    aiosmtplib acts on a reply only once its last line (``NNN `` rather than ``NNN-``) is in,
    so holding the earlier lines back changes nothing for it. ``limit`` keeps a reply that never
    ends from being held forever: past it, the complete lines are passed on as they are.
    """

    def __init__(self, scrubber: Scrubber, limit: int) -> None:
        self.scrubber = scrubber
        self.limit = limit
        self._held = b""

    def feed(self, data: bytes) -> bytes:
        self._held += data
        end = _end_of_last_reply(self._held)
        if end == 0 and len(self._held) > self.limit:
            end = self._held.rfind(b"\n") + 1 or len(self._held)
        ready, self._held = self._held[:end], self._held[end:]
        return self._clean(ready) if ready else b""

    def flush(self) -> bytes:
        ready, self._held = self._held, b""
        return self._clean(ready) if ready else b""

    def _clean(self, data: bytes) -> bytes:
        *lines, rest = data.split(b"\n")
        texts = [_as_text(line.removesuffix(b"\r")) for line in lines]
        ends = ["\r\n" if line.endswith(b"\r") else "\n" for line in lines]
        scrubbed = self.scrubber.reply(texts)
        text = "".join(line + end for line, end in zip(scrubbed, ends, strict=True))
        return (text + self.scrubber.text(_as_text(rest))).encode("utf-8")


def _end_of_last_reply(data: bytes) -> int:
    """Where the last complete reply in ``data`` ends (0: none is complete yet)."""
    end = len(data) if data.endswith(b"\n") else data.rfind(b"\n") + 1
    while end > 0:
        start = data.rfind(b"\n", 0, end - 1) + 1
        if data[start + 3 : start + 4] != b"-":  # a last line, or one that is not a reply line
            return end
        end = start
    return 0


def _as_text(line: bytes) -> str:
    try:
        return line.decode("utf-8")
    except UnicodeDecodeError:  # servers that predate UTF-8 send their own code page
        return line.decode("cp1252", "replace")
