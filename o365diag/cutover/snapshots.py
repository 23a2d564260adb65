"""Snapshots of the inputs, and the burndown of identities still on Basic per ISO week.

A snapshot is one sign-in export (a file or a Graph store) or one SMTP AUTH clients report file,
from the current inputs or from an earlier set given apart (``--snapshot PATH``, used for the
burndown only). Its date comes from its content when it has one: the latest sign-in in it, the
latest row of a dated (detailed) report. A report without dates (the summary export) takes the
date in its file name (``YYYY-MM-DD``, ``YYYY_MM_DD`` or ``YYYYMMDD``; the last one when there
are several), else the one in the name of the folder given as a snapshot, else, among the
current inputs only, the as-of date; an earlier snapshot that cannot be dated is an error.

An identity is on Basic in a snapshot when it has a successful SMTP AUTH sign-in (Entra ID logs
Basic logins only) in the 30 days up to the snapshot's date, or a report row with Basic and
messages (in those 30 days, for a dated report). A week counts the identities on Basic in any
snapshot dated in it. One week of snapshots draws no line: the result says why instead.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path, PurePath
from typing import Any

import polars as pl

from o365diag.cutover.activity import SUCCESS, smtp_signins
from o365diag.cutover.inputs import CutoverInputError, CutoverInputs, Source, load_inputs
from o365diag.wording import plural

__all__ = [
    "ON_BASIC_DAYS",
    "Snapshot",
    "burndown_chart_weeks",
    "burndown_of",
    "date_in_name",
    "load_snapshot",
    "load_snapshots",
]

ON_BASIC_DAYS = 30
_DATE_IN_NAME = re.compile(r"(?<!\d)(20\d\d)([-_.]?)(0[1-9]|1[0-2])\2(0[1-9]|[12]\d|3[01])(?!\d)")


@dataclass(frozen=True)
class Snapshot:
    """One dated source and the identities on Basic in it."""

    source: str
    kind: str
    day: date
    dated_by: str  # content | file-name | folder-name | as-of
    on_basic: frozenset[str]

    def to_dict(self) -> dict[str, Any]:
        return {
            "file": self.source,
            "kind": self.kind,
            "date": self.day.isoformat(),
            "dated_by": self.dated_by,
            "identities_on_basic": len(self.on_basic),
        }


def date_in_name(name: str) -> date | None:
    """The last date written in a file or folder name (the end of a range names the export)."""
    found = None
    for match in _DATE_IN_NAME.finditer(PurePath(name).name):
        try:
            found = date(int(match[1]), int(match[3]), int(match[4]))
        except ValueError:
            continue
    return found


# -- one set of inputs ----------------------------------------------------------------------------
def snapshots_of(
    inputs: CutoverInputs, *, fallback: date | None, folder: str | None = None
) -> list[Snapshot]:
    """Each sign-in source and each report file of ``inputs`` as a snapshot.

    ``fallback`` dates an undated report without a date in its name (the as-of date of the
    current inputs); without one, CutoverInputError names the file."""
    found = _signin_snapshots(inputs)
    if inputs.report is not None:
        found += _report_snapshots(inputs.report.frame, fallback, folder)
    return found


def _signin_snapshots(inputs: CutoverInputs) -> list[Snapshot]:
    if inputs.signins is None or not inputs.signin_ends:
        return []
    frame = inputs.signins.frame
    snapshots = []
    for source, last in inputs.signin_ends.items():
        smtp = smtp_signins(frame, last).filter(
            SUCCESS & (pl.col("created") > last - timedelta(days=ON_BASIC_DAYS))
        )
        names = frozenset(smtp.get_column("user_principal_name").unique().to_list())
        snapshots.append(Snapshot(source, "signins", last.date(), "content", names))
    return snapshots


def _report_snapshots(
    frame: pl.DataFrame, fallback: date | None, folder: str | None
) -> list[Snapshot]:
    basic = (pl.col("auth_protocol") == "basic") & (pl.col("messages").fill_null(1) > 0)
    snapshots = []
    for (name,), rows in frame.partition_by("file", as_dict=True, maintain_order=True).items():
        source = str(name)
        last = rows.get_column("date").max()
        if isinstance(last, datetime):
            since = _end_of(last.date()) - timedelta(days=ON_BASIC_DAYS)
            used = rows.filter(basic & (pl.col("date") > since))
            day, dated_by = last.date(), "content"
        else:
            used = rows.filter(basic)
            day, dated_by = _undated_day(source, fallback, folder)
        names = frozenset(used.get_column("sender").unique().to_list())
        snapshots.append(Snapshot(source, "smtp-auth-report", day, dated_by, names))
    return snapshots


def _undated_day(source: str, fallback: date | None, folder: str | None) -> tuple[date, str]:
    named = date_in_name(source)
    if named is not None:
        return named, "file-name"
    from_folder = date_in_name(folder) if folder else None
    if from_folder is not None:
        return from_folder, "folder-name"
    if fallback is not None:
        return fallback, "as-of"
    raise CutoverInputError(
        f"{source}: the snapshot has no dates in it and none in its name; put the day it was "
        "exported in the file or folder name (for example smtp-auth-2026-11-02.csv)"
    )


def _end_of(day: date) -> datetime:
    return datetime.combine(day, time.max, tzinfo=UTC)


def load_snapshot(source: Source) -> list[Snapshot]:
    """An earlier snapshot (a file, a folder of files, or ``(name, bytes)``), dated."""
    inputs = load_inputs([source])
    folder = None if isinstance(source, tuple) or not Path(source).is_dir() else str(source)
    found = snapshots_of(inputs, fallback=None, folder=folder)
    if not found:
        name = source[0] if isinstance(source, tuple) else str(source)
        raise CutoverInputError(
            f"{name}: a snapshot needs sign-ins or an SMTP AUTH clients report (it holds "
            f"{', '.join(sorted(inputs.present())) or 'neither'})"
        )
    return found


def load_snapshots(sources: Sequence[Source]) -> list[Snapshot]:
    """Every earlier snapshot in ``sources`` (each a file, a folder or ``(name, bytes)``)."""
    return [snapshot for source in sources for snapshot in load_snapshot(source)]


# -- the burndown ---------------------------------------------------------------------------------
def burndown_of(inputs: CutoverInputs, earlier: Sequence[Snapshot], as_of: date) -> dict[str, Any]:
    """The ``burndown`` section: the snapshots, the weekly series, and why no line, if none."""
    every = [*earlier, *snapshots_of(inputs, fallback=as_of)]
    kept = sorted((s for s in every if s.day <= as_of), key=lambda s: (s.day, s.source))
    left_out = [
        {**s.to_dict(), "why": f"dated after the as-of date {as_of.isoformat()}"}
        for s in every
        if s.day > as_of
    ]
    weeks = _weeks(kept)
    return {
        "snapshots": [s.to_dict() for s in kept],
        "left_out": left_out,
        "weeks": weeks,
        "note": _note(kept, weeks),
    }


def _weeks(snapshots: Sequence[Snapshot]) -> list[dict[str, Any]]:
    grouped: dict[tuple[int, int], list[Snapshot]] = {}
    for snapshot in snapshots:
        year, week, _ = snapshot.day.isocalendar()
        grouped.setdefault((year, week), []).append(snapshot)
    series = []
    for (year, week), group in sorted(grouped.items()):
        monday = date.fromisocalendar(year, week, 1)
        names = frozenset().union(*(s.on_basic for s in group))
        series.append(
            {
                "iso_week": f"{year}-W{week:02d}",
                "week": monday.isoformat(),
                "week_end": (monday + timedelta(days=6)).isoformat(),
                "identities_on_basic": len(names),
                "snapshots": len(group),
            }
        )
    return series


def _note(snapshots: Sequence[Snapshot], weeks: Sequence[dict[str, Any]]) -> str | None:
    if not snapshots:
        return "no sign-ins or SMTP AUTH clients report: no burndown"
    if len(snapshots) == 1:
        return "one snapshot: no burndown"
    if len(weeks) == 1:
        return (
            f"{plural(len(snapshots), 'snapshot')}, all in the week {weeks[0]['iso_week']}: "
            "no burndown (add snapshots from other weeks)"
        )
    return None


def burndown_chart_weeks(section: dict[str, Any]) -> list[dict[str, Any]]:
    """What the burndown chart draws: the weekly series, or nothing when there is a note."""
    return [] if section.get("note") else list(section.get("weeks") or [])
