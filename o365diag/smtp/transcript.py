"""Both directions of the session, timestamped, with a TLS marker and credentials redacted.

aiosmtplib has no hook for raw traffic, so :class:`TranscriptProtocol` subclasses its
``SMTPProtocol`` and records every write and every received chunk before passing it on. The
probe builds the connection itself, so no aiosmtplib internals are patched.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Iterable
from typing import Any

from o365diag.smtp.model import Direction, TranscriptLine
from o365diag.smtp.scrub import REDACTED, ReplyFilter, Scrubber
from o365diag.smtp.wire import MAX_RESPONSE_LENGTH, SMTPProtocol

__all__ = ["REDACTED", "Recorder", "TranscriptProtocol"]

MAX_LINES = 5000
MAX_LINE_CHARS = 2000
DATA_LINES_SHOWN = 40


class Recorder:
    """Collects transcript lines. While :attr:`redacting` is on (the AUTH exchange), every
    sent payload is replaced; any line that still contains a known secret is scrubbed."""

    def __init__(self, clock_start: float | None = None) -> None:
        self.start = time.perf_counter() if clock_start is None else clock_start
        self.lines: list[TranscriptLine] = []
        self.redacting = False
        self.scrubber = Scrubber()
        self._partial: dict[Direction, str] = {"send": "", "recv": ""}
        self._reply_start: int | None = None
        self._in_data = False
        self._data_lines = 0
        self.dropped = 0

    def add_secrets(self, values: Iterable[str]) -> None:
        self.scrubber.add(values)

    def now_ms(self) -> float:
        return (time.perf_counter() - self.start) * 1000.0

    def info(self, text: str, *, tls: bool = False, error: bool = False) -> None:
        self._append("info", tls, text, error=error)

    def sent(self, data: bytes, tls: bool) -> None:
        for line in self._complete_lines("send", data):
            self._record_sent_line(line, tls)

    def received(self, data: bytes, tls: bool) -> None:
        for line in self._complete_lines("recv", data):
            if self._reply_start is None:
                self._reply_start = len(self.lines)
            self._append("recv", tls, line)

    def begin_data(self) -> None:
        self._in_data, self._data_lines = True, 0

    def end_data(self) -> None:
        hidden = self._data_lines - DATA_LINES_SHOWN
        if hidden > 0:
            self.info(f"({hidden} more message lines not shown)")
        self._in_data = False

    def flag_last_reply(self) -> None:
        """Mark the most recent reply as unexpected (swaks ``<**``/``<~*``)."""
        if self._reply_start is None:
            return
        for index in range(self._reply_start, len(self.lines)):
            line = self.lines[index]
            if line.dir == "recv":
                self.lines[index] = TranscriptLine(
                    line.t_ms, line.dir, line.tls, line.line, unexpected=True
                )

    def _record_sent_line(self, line: str, tls: bool) -> None:
        self._reply_start = None
        if self.redacting:
            line = _redact_auth_line(line)
        if self._in_data:
            self._data_lines += 1
            if self._data_lines > DATA_LINES_SHOWN and line != ".":
                return
        self._append("send", tls, line)

    def _complete_lines(self, direction: Direction, data: bytes) -> list[str]:
        text = self._partial[direction] + data.decode("utf-8", "replace")
        *lines, rest = text.split("\n")
        self._partial[direction] = rest[-MAX_LINE_CHARS:]
        return [line.rstrip("\r") for line in lines]

    def _append(self, direction: Direction, tls: bool, text: str, *, error: bool = False) -> None:
        if len(self.lines) >= MAX_LINES:
            self.dropped += 1
            return
        text = self.scrubber.text(text[:MAX_LINE_CHARS])
        self.lines.append(TranscriptLine(self.now_ms(), direction, tls, text, error=error))


def _redact_auth_line(line: str) -> str:
    """Keep ``AUTH <mechanism>`` visible, hide everything that follows it."""
    words = line.split(" ", 2)
    if words[0].upper() == "AUTH":
        return " ".join(words[:2]) + (f" {REDACTED}" if len(words) > 2 else "")
    return REDACTED if line else ""


class TranscriptProtocol(SMTPProtocol):
    """aiosmtplib's protocol with a tap on both directions. What the server sends passes the
    recorder's :class:`ReplyFilter` first: nothing after it sees a credential the server echoed,
    nor a byte that is not UTF-8."""

    def __init__(self, recorder: Recorder, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.recorder = recorder
        self._replies = ReplyFilter(recorder.scrubber, MAX_RESPONSE_LENGTH)
        self._tls_seen = False
        self._checked_transport: asyncio.BaseTransport | None = None

    @property
    def over_tls(self) -> bool:
        transport = self.transport
        if transport is not self._checked_transport:  # asking asyncio each time is slow
            self._checked_transport = transport
            # asyncio's SSL transport raises while half torn down: keep the last answer then.
            with contextlib.suppress(AttributeError):
                self._tls_seen = transport is not None and (
                    transport.get_extra_info("ssl_object") is not None
                )
        return self._tls_seen

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        peer = transport.get_extra_info("peername")
        self.recorder.info(f"Connected to {peer[0] if peer else 'server'}.")
        super().connection_made(transport)

    def write(self, data: bytes) -> None:
        self.recorder.sent(data, self.over_tls)
        super().write(data)

    def data_received(self, data: bytes) -> None:
        self._pass_on(self._replies.feed(data))

    def _pass_on(self, data: bytes) -> None:
        if data:
            self.recorder.received(data, self.over_tls)
            super().data_received(data)

    def eof_received(self) -> bool:
        self._pass_on(self._replies.flush())
        self.recorder.info("server closed the connection", tls=self.over_tls)
        return super().eof_received()

    def connection_lost(self, exc: Exception | None) -> None:
        if exc is not None:
            self.recorder.info(f"connection lost: {exc}", error=True)
        super().connection_lost(exc)
