"""Pull from Graph into the store: windows, pages, days, details, progress.

:func:`pull` (``MESSAGE_TRACE`` or ``SIGN_INS``) fetches only the days the store lacks (plus
days that still held Pending or GettingStatus messages), one window of at most 10 days at a
time, pages of the largest size Graph serves, and writes the rows at once (normalized
exactly as the file loaders normalize the same objects). A failure or a Cancel stops the pull;
what was stored is kept and the state says which days are complete. The result is a Report
with the ``o365diag.pull/1`` schema. A :class:`Source` says what differs between the two.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from o365diag.errors import ConfigError
from o365diag.findings import Finding, catalogue_finding
from o365diag.tenant.graph import Cancelled, GraphClient, GraphError
from o365diag.tenant.model import GraphRequest, PullAsked, PullData, PullDays, TimeWindow
from o365diag.tenant.result import PULL_SCHEMA, PullResult
from o365diag.tenant.store import Store
from o365diag.tenant.timerange import (
    MAX_AGE,
    DayPiece,
    Window,
    day_pieces,
    format_instant,
    group_windows,
)

if TYPE_CHECKING:
    import polars as pl

__all__ = [
    "MESSAGE_TRACE",
    "MESSAGE_TRACE_PATH",
    "PULL_SCHEMA",
    "SIGNINS_PATH",
    "SIGN_INS",
    "SMTP_CLIENT_APP",
    "SOURCES",
    "THROTTLE",
    "PullJob",
    "PullProgress",
    "Source",
    "TracePullRequest",
    "canonical_status",
    "plan_pull",
    "pull",
    "pull_message_trace",
    "pull_range",
]

MESSAGE_TRACE_PATH = "/v1.0/admin/exchange/tracing/messageTraces"
# The event types are a beta filter: v1.0 lists interactive sign-ins only.
SIGNINS_PATH = "/beta/auditLogs/signIns"
SMTP_CLIENT_APP = "Authenticated SMTP"
MAX_PAGE = 5000
# Pages are normalized and written in batches of about this many rows: the loaders' fixed
# cost per call (date format detection...) is paid once per batch, memory stays bounded.
BATCH_ROWS = 20_000
FINDINGS_TABLE = "tenant_findings"
_UNSETTLED = ("Pending", "GettingStatus")
_DETAIL_STATUSES = ("Failed", "Quarantined")
_GRAPH_FIELDS = (
    "id",
    "receivedDateTime",
    "senderAddress",
    "recipientAddress",
    "subject",
    "status",
    "fromIP",
    "toIP",
    "size",
    "messageId",
)
_DETAIL_FIELDS = (
    "dateTime",
    "event",
    "action",
    "description",
    "data",
    "messageId",
    "messageTraceId",
    "recipientAddress",
    "senderAddress",
)
_FILTER_FIELDS = {
    "sender": "senderAddress",
    "recipient": "recipientAddress",
    "status": "status",
    "from_ip": "fromIP",
    "client_app": "clientAppUsed",
}
# Graph's exchangeMessageTraceStatus values (v1.0 adds recalled behind include-unknown-enum).
_GRAPH_STATUSES = (
    "pending",
    "delivered",
    "expanded",
    "failed",
    "quarantined",
    "filteredAsSpam",
    "gettingStatus",
    "recalled",
)


def canonical_status(text: str) -> str:
    """A message-trace status filter as Graph spells it (any case accepted)."""
    for value in _GRAPH_STATUSES:
        if value.lower() == text.strip().lower():
            return value
    raise ConfigError(f"{text!r} is not one of {', '.join(_GRAPH_STATUSES)}", field="status")


@dataclass(frozen=True)
class Source:
    """What one kind of pull asks Graph for and how its rows are stored."""

    kind: str
    path: str
    time_field: str  # the Graph property the range filters on
    time_column: str  # the same instant in the normalized frame
    page_size: int  # the largest page Graph serves
    passes: tuple[str | None, ...]  # one listing per extra clause (None: no clause)
    normalize: Callable[[list[Any], _Tally, str], pl.DataFrame]
    unsettled: Callable[[pl.DataFrame], int]


@dataclass(frozen=True)
class TracePullRequest:
    start: datetime
    end: datetime
    tenant: str
    filters: Mapping[str, str | None] = field(default_factory=dict)
    details: int = 0
    page_size: int | None = None  # None: the source's largest
    cut: bool = False  # the range was cut to the last 90 days
    since: str | None = None

    def asked(self) -> PullAsked:
        return PullAsked(
            start=format_instant(self.start),
            end=format_instant(self.end),
            since=self.since,
            tenant=self.tenant,
            filters=dict(self.filters),
            details=self.details,
        )


@dataclass
class PullProgress:
    """What the progress line shows; ``eta_s`` is None until there is a basis for it."""

    rows: int = 0
    pages: int = 0
    throttle_wait_s: float = 0.0
    window: int = 0
    windows: int = 0
    done: float = 0.0
    eta_s: float | None = None
    stage: str = "starting"

    def line(self) -> str:
        eta = "" if self.eta_s is None else f"  ETA {_duration(self.eta_s)}"
        return (
            f"{self.rows:,} rows  {self.pages} pages  window {self.window}/{self.windows}  "
            f"throttle wait {self.throttle_wait_s:.1f} s{eta}  {self.stage}"
        )


def _duration(seconds: float) -> str:
    seconds = int(seconds)
    if seconds >= 3600:
        return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"
    return f"{seconds // 60}m{seconds % 60:02d}s" if seconds >= 60 else f"{seconds}s"


@dataclass
class _Tally:
    rows: int = 0
    bad: int = 0
    bad_reasons: dict[str, int] = field(default_factory=dict)
    outside: int = 0
    per_day: dict[date, list[int]] = field(default_factory=dict)  # day -> [rows, unsettled]

    def count_bad(self, by_reason: Mapping[str, int]) -> None:
        for reason, count in by_reason.items():
            self.bad += count
            self.bad_reasons[reason] = self.bad_reasons.get(reason, 0) + count


Progress = Callable[[PullProgress], None]


def pull_message_trace(
    client: GraphClient,
    store: Store,
    request: TracePullRequest,
    on_progress: Progress | None = None,
    now: datetime | None = None,
) -> PullResult:
    """Message trace into the store (see :func:`pull`)."""
    return pull(MESSAGE_TRACE, client, store, request, on_progress, now)


def pull(
    source: Source,
    client: GraphClient,
    store: Store,
    request: TracePullRequest,
    on_progress: Progress | None = None,
    now: datetime | None = None,
) -> PullResult:
    """Fetch what the store lacks for ``request``; never raises for Graph's refusals or a
    Cancel: they end the pull with a finding."""
    now = now or datetime.now(UTC)
    started = time.perf_counter()
    findings: list[Finding] = []
    if request.cut:
        findings.append(_finding("tenant.range-cut", start=format_instant(request.start)))
    pieces = day_pieces(request.start, request.end)
    earliest = now - MAX_AGE + timedelta(minutes=5)
    wanted = [store.to_fetch(p, earliest) for p in pieces if store.needs(p)]
    windows = group_windows((p.start, p.end) for p in wanted)
    progress = PullProgress(windows=len(windows))
    tally = _Tally()
    state = _Run(source, client, store, request, on_progress or (lambda _p: None), progress, tally)
    complete = state.run(windows, wanted, findings)
    if complete and request.details > 0:
        complete = state.fetch_details(findings)
    findings += _tally_findings(tally, wanted)
    pulled = PullData(
        kind=source.kind,
        asked=request.asked(),
        windows=[TimeWindow(**w.to_dict()) for w in windows],
        requests=[GraphRequest(**r) for r in client.log.requests],
        pages=client.log.pages,
        rows_written=tally.rows,
        retries=client.log.retries,
        throttle_wait_s=round(client.log.throttle_wait_s, 3),
        complete=complete,
        days=PullDays(len(pieces), len(wanted), len(pieces) - len(wanted), _unsettled(tally)),
        rows_outside_range=tally.outside,
        bad_rows=tally.bad,
        elapsed_s=round(time.perf_counter() - started, 3),
        store=str(store.root),
    )
    return PullResult.from_model(pulled, findings)


class _Run:
    def __init__(
        self,
        source: Source,
        client: GraphClient,
        store: Store,
        request: TracePullRequest,
        show: Progress,
        progress: PullProgress,
        tally: _Tally,
    ) -> None:
        self.source, self.client, self.store, self.request = source, client, store, request
        self.show, self.progress, self.tally = show, progress, tally
        self.started = time.monotonic()
        self.details_fetched = 0

    def run(self, windows: list[Window], wanted: list[DayPiece], findings: list[Finding]) -> bool:
        total = sum((w.end - w.start).total_seconds() for w in windows) or 1.0

        def every_window() -> None:
            covered = 0.0
            for number, window in enumerate(windows, start=1):
                self.progress.window = number
                self._window(window, covered, total)
                covered += (window.end - window.start).total_seconds()
                self._finish(window, wanted)

        return self._guarded(every_window, findings)

    def _guarded(self, work: Callable[[], None], findings: list[Finding]) -> bool:
        """Run ``work``; a refusal or a Cancel ends it with a finding, the state is saved."""
        try:
            work()
        except GraphError as exc:
            findings.append(_stopped(exc))
            return False
        except (Cancelled, KeyboardInterrupt):
            findings.append(_finding("tenant.interrupted"))
            return False
        finally:
            self.store.save_state()
        return True

    def _window(self, window: Window, covered: float, total: float) -> None:
        source = self.source
        span = (window.end - window.start).total_seconds()
        label = f"{window.start:%Y-%m-%d}..{window.end:%Y-%m-%d}"
        for number, clause in enumerate(source.passes):
            params = {
                "$filter": _filter(source.time_field, window, self.request.filters, clause),
                "$top": str(self.request.page_size or source.page_size),
            }
            share = span / len(source.passes)
            buffer: list[Any] = []
            try:
                for page in self.client.pages(source.path, params):
                    records = _records(page)
                    buffer.extend(records)
                    if len(buffer) >= BATCH_ROWS:
                        self._store(buffer, window)
                        buffer = []
                    self.progress.rows = self.tally.rows + len(buffer)
                    oldest = _oldest(records, source.time_field)
                    if oldest is not None:
                        within = (window.end - max(oldest, window.start)).total_seconds() / span
                        self._show((covered + share * (number + within)) / total, label)
            finally:  # what came before a failure or a Cancel is kept
                self._store(buffer, window)
        self._show((covered + span) / total, "window done")

    def _store(self, records: list[Any], window: Window) -> None:
        if not records:
            return
        column = self.source.time_column
        frame = self.source.normalize(records, self.tally, self.request.tenant)
        inside = frame.filter((frame[column] >= window.start) & (frame[column] < window.end))
        self.tally.outside += frame.height - inside.height
        self._write(inside)

    def _write(self, frame: pl.DataFrame) -> None:
        if frame.is_empty():
            return
        days = frame.get_column(self.source.time_column).dt.date()
        for (day,), rows in frame.with_columns(days.alias("_day")).group_by("_day"):
            assert isinstance(day, date)
            rows = rows.drop("_day")
            self.store.write_day(day, rows)
            unsettled = self.source.unsettled(rows)
            counts = self.tally.per_day.setdefault(day, [0, 0])
            counts[0] += rows.height
            counts[1] += unsettled
        self.tally.rows += frame.height
        self.progress.rows = self.tally.rows

    def _finish(self, window: Window, wanted: list[DayPiece]) -> None:
        for piece in wanted:
            if window.start <= piece.start and piece.end <= window.end:
                rows, unsettled = self.tally.per_day.get(piece.day, [0, 0])
                self.store.finish_day(piece, rows, unsettled)
        self.store.save_state()

    def _show(self, done: float, stage: str) -> None:
        progress = self.progress
        progress.pages = self.client.log.pages
        progress.throttle_wait_s = self.client.log.throttle_wait_s
        progress.done = min(max(done, 0.0), 1.0)
        elapsed = time.monotonic() - self.started
        progress.eta_s = elapsed * (1 - progress.done) / progress.done if progress.done else None
        progress.stage = stage
        self.show(progress)

    # ---------------------------------------------------------------- details
    def fetch_details(self, findings: list[Finding]) -> bool:
        def every_message() -> None:
            for trace_id, recipient, sender in self._detail_candidates():
                self._details_of(trace_id, recipient, sender)

        return self._guarded(every_message, findings)

    def _detail_candidates(self) -> list[tuple[str, str, str | None]]:
        """The newest N failed or quarantined rows of the asked range whose details the store
        lacks (a re-run with the same N fetches nothing more)."""
        import polars as pl

        files = [
            path
            for piece in day_pieces(self.request.start, self.request.end)
            for path in self.store.run_files(piece.day)
        ]
        if not files:
            return []
        rows = (
            pl.scan_parquet(files, hive_partitioning=False)
            .filter(
                pl.col("status").is_in(_DETAIL_STATUSES)
                & (pl.col("received") >= self.request.start)
                & (pl.col("received") < self.request.end)
                & pl.col("trace_id").is_not_null()
                & pl.col("recipient").is_not_null()
            )
            .select("trace_id", "recipient", "sender", "received")
            .unique(["trace_id", "recipient"])
            .sort("received", descending=True)
            .collect()
        )
        newest = rows.head(self.request.details).iter_rows()
        return [
            (trace_id, recipient, sender)
            for trace_id, recipient, sender, _ in newest
            if not self.store.has_details(trace_id, recipient)
        ]

    def _details_of(self, trace_id: str, recipient: str, sender: str | None) -> None:
        from urllib.parse import quote

        from o365diag.trace.normalize import detail_events
        from o365diag.trace.read import RawTable

        # OData doubles a quote inside a string literal; the URL then escapes what it must.
        address = quote(recipient.replace("'", "''"), safe="@'")
        function = f"getDetailsByRecipient(recipientAddress='{address}')"
        path = f"{MESSAGE_TRACE_PATH}/{quote(trace_id, safe='')}/{function}"
        records: list[dict[str, Any]] = []
        for page in self.client.pages(path):
            value = page.get("value")
            if not isinstance(value, list):
                raise GraphError("tenant.malformed-page", "a details page has no 'value' list")
            records.extend(r for r in value if isinstance(r, dict))
        extra = {"messageTraceId": trace_id, "recipientAddress": recipient, "senderAddress": sender}
        rows = [{**record, **extra} for record in records]
        frame = _details_frame(rows, RawTable, detail_events)
        self.store.write_details(trace_id, recipient, frame)
        self.details_fetched += 1
        self._show(self.progress.done, f"details {self.details_fetched}")


def _details_frame(rows: list[dict[str, Any]], raw_table: Any, detail_events: Any) -> pl.DataFrame:
    import polars as pl

    from o365diag.trace.model import event_schema

    if not rows:
        return pl.DataFrame(schema=event_schema())
    keys = _DETAIL_FIELDS
    raw = _raw_from(rows, keys, raw_table)
    part = detail_events(raw, "graph-messagetrace-detail", "auto")
    events: pl.DataFrame = part.events
    return events


def _records(page: dict[str, Any]) -> list[Any]:
    records = page.get("value")
    if not isinstance(records, list):
        raise GraphError("tenant.malformed-page", "a page has no list of rows ('value')")
    return records


def _oldest(records: list[Any], time_field: str) -> datetime | None:
    """The time of a page's last row (Graph lists newest first), for the progress only."""
    last = records[-1] if records else None
    text = last.get(time_field) if isinstance(last, dict) else None
    if not isinstance(text, str):
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)
    except ValueError:
        return None


def _normalize_trace(records: list[Any], tally: _Tally, tenant: str) -> pl.DataFrame:
    from o365diag.trace.normalize import graph_messages

    part = graph_messages(_raw_page(records), "graph-messagetrace", "auto")
    tally.count_bad(part.bad.by_reason)
    assert part.messages is not None
    return part.messages.with_columns(_file_label(tenant))


def _unsettled_trace(rows: pl.DataFrame) -> int:
    import polars as pl

    return rows.filter(pl.col("status").is_in(_UNSETTLED)).height


def _normalize_signins(records: list[Any], tally: _Tally, tenant: str) -> pl.DataFrame:
    from o365diag.tenant.signins import signins_frame_from_graph
    from o365diag.trace.model import BadRows

    bad = BadRows()
    frame = signins_frame_from_graph(records, bad_rows=bad)
    tally.count_bad(bad.by_reason)
    return frame.with_columns(_file_label(tenant))


def _raw_page(records: list[Any]) -> Any:
    from o365diag.trace.read import RawTable

    rows = [r for r in records if isinstance(r, dict)]
    return _raw_from(rows, _GRAPH_FIELDS, RawTable)


def _raw_from(rows: list[dict[str, Any]], keys: Iterable[str], raw_table: Any) -> Any:
    """The rows as the file loaders' text table (columns named by their normalized header)."""
    import polars as pl

    from o365diag.trace.read import normalize_header

    keys = list(keys)
    columns = {
        normalize_header(key)[0]: pl.Series(
            [row.get(key) for row in rows], dtype=pl.String, strict=False
        )
        for key in keys
    }
    frame = pl.DataFrame(columns).with_columns(pl.lit(None, pl.String).alias("_shape"))
    return raw_table("graph", frame.with_row_index("_row", offset=1), keys, "utf-8", {}, None)


def _file_label(tenant: str) -> pl.Expr:
    import polars as pl

    return pl.lit(f"graph:{tenant}").alias("file")


def _filter(
    field_name: str, window: Window, filters: Mapping[str, str | None], clause: str | None
) -> str:
    parts = [
        f"{field_name} ge {format_instant(window.start)}",
        f"{field_name} le {format_instant(_ceil_second(window.end))}",
    ]
    for name, value in filters.items():
        if value:
            parts.append(f"{_FILTER_FIELDS[name]} eq '{value.replace(chr(39), chr(39) * 2)}'")
    if clause:
        parts.append(clause)
    return " and ".join(parts)


def _ceil_second(moment: datetime) -> datetime:
    if moment.microsecond:
        return moment.replace(microsecond=0) + timedelta(seconds=1)
    return moment


def _finding(code: str, **values: Any) -> Finding:
    return catalogue_finding(FINDINGS_TABLE, code, values)


def _stopped(exc: GraphError) -> Finding:
    return catalogue_finding(FINDINGS_TABLE, exc.code, {"detail": exc.detail})


def _unsettled(tally: _Tally) -> list[str]:
    return sorted(d.isoformat() for d, (_, u) in tally.per_day.items() if u)


def _tally_findings(tally: _Tally, wanted: list[DayPiece]) -> list[Finding]:
    found = []
    unsettled_days = _unsettled(tally)
    if tally.bad:
        reasons = ", ".join(f"{r} ({n})" for r, n in tally.bad_reasons.items())
        found.append(_finding("tenant.bad-rows", count=tally.bad, reasons=reasons))
    if unsettled_days:
        found.append(
            _finding(
                "tenant.unsettled-days", count=len(unsettled_days), days=", ".join(unsettled_days)
            )
        )
    if not wanted:
        found.append(_finding("tenant.up-to-date"))
    return found


MESSAGE_TRACE_KIND = "messageTrace"
MESSAGE_TRACE = Source(
    kind=MESSAGE_TRACE_KIND,
    path=MESSAGE_TRACE_PATH,
    time_field="receivedDateTime",
    time_column="received",
    page_size=MAX_PAGE,
    passes=(None,),
    normalize=_normalize_trace,
    unsettled=_unsettled_trace,
)
SIGN_INS = Source(
    kind="signIns",
    path=SIGNINS_PATH,
    time_field="createdDateTime",
    time_column="created",
    page_size=1000,
    passes=(
        "signInEventTypes/any(t: t eq 'interactiveUser')",
        "signInEventTypes/any(t: t eq 'nonInteractiveUser')",
    ),
    normalize=_normalize_signins,
    unsettled=lambda _rows: 0,
)

SOURCES = {MESSAGE_TRACE.kind: MESSAGE_TRACE, SIGN_INS.kind: SIGN_INS}
# Graph's documented budgets: message trace 100 requests per 5 minutes per tenant (list and
# details together); sign-in logs 5 requests per 10 seconds per app and tenant.
THROTTLE = {MESSAGE_TRACE.kind: (100, 300.0), SIGN_INS.kind: (5, 10.0)}
DEFAULT_SINCE = {MESSAGE_TRACE.kind: "10d", SIGN_INS.kind: "30d"}


@dataclass
class PullJob:
    """One pull, planned: what to ask for and where it goes (the CLI and the panel share it)."""

    source: Source
    store: Store
    request: TracePullRequest
    now: datetime

    def run(self, client: GraphClient, on_progress: Progress | None = None) -> PullResult:
        try:
            return pull(self.source, client, self.store, self.request, on_progress, self.now)
        finally:
            client.close()


def pull_range(
    kind: str, since: str | None, start: str | None, end: str | None, now: datetime
) -> tuple[datetime, datetime, bool]:
    """``(start, end, cut)`` of a pull; UsageError for a range that cannot work."""
    from o365diag.tenant.timerange import asked_range

    return asked_range(
        since=since,
        start=start,
        end=end,
        now=now,
        default_since=DEFAULT_SINCE[kind],
        max_age=MAX_AGE if kind == MESSAGE_TRACE.kind else None,
    )


def plan_pull(
    kind: str,
    tenant: str,
    out: str | Path,
    *,
    since: str | None = None,
    start: str | None = None,
    end: str | None = None,
    filters: Mapping[str, str | None] | None = None,
    details: int = 0,
) -> PullJob:
    """The range (the 90-day cut for message trace), the store and the request of a pull;
    UsageError for a range or filter that cannot work."""
    from o365diag.tenant.store import filters_key

    source = SOURCES[kind]
    now = datetime.now(UTC)
    first, last, cut = pull_range(kind, since, start, end, now)
    given = dict(filters or {})
    if source is SIGN_INS:
        given = {"client_app": SMTP_CLIENT_APP}
    store = Store(Path(out), tenant, kind, filters_key(given), given)
    request = TracePullRequest(
        first, last, tenant, given, details if source is MESSAGE_TRACE else 0, cut=cut, since=since
    )
    return PullJob(source, store, request, now)
