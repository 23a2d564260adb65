"""Per-identity activity from the big inputs, in polars: the joins the benchmark measures.

Sign-ins (only "Authenticated SMTP" ones count) and message trace rows are reduced to one row
per identity and then joined with the SMTP AUTH clients report and the identity list.
Everything here is linear in the rows; the per-identity judgement afterwards sees only the
reduced table.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import polars as pl

from o365diag.tenant.signins import SMTP_CLIENT_APP

__all__ = [
    "SUCCESS",
    "identity_table",
    "signin_activity",
    "trace_activity",
    "usual_countries",
]

SUCCESS = pl.col("status_code") == 0
USUAL_COUNTRY_SHARE = 0.05
NEW_IP_DAYS = 14


def smtp_signins(frame: pl.DataFrame, as_of: datetime) -> pl.DataFrame:
    """SMTP AUTH sign-ins of users (not service principals) up to ``as_of``."""
    return frame.filter(
        (pl.col("client_app") == SMTP_CLIENT_APP)
        & pl.col("user_principal_name").is_not_null()
        & (pl.col("created") <= as_of)
    )


def usual_countries(smtp: pl.DataFrame) -> list[str]:
    """Countries with at least 5% of the tenant's successful SMTP AUTH sign-ins."""
    ok = smtp.filter(SUCCESS & pl.col("country").is_not_null())
    if ok.is_empty():
        return []
    counts = ok.group_by("country").len()
    total = int(counts.get_column("len").sum())
    usual = counts.filter(pl.col("len") >= total * USUAL_COUNTRY_SHARE)
    return sorted(usual.get_column("country").to_list())


def signin_activity(smtp: pl.DataFrame, usual: list[str], period_end: datetime) -> pl.DataFrame:
    """One row per user: successes, failures, addresses, countries, first and last times."""
    recent = period_end - timedelta(days=NEW_IP_DAYS)
    first_ok_by_ip = (
        smtp.filter(SUCCESS)
        .group_by("user_principal_name", "ip")
        .agg(pl.col("created").min().alias("ip_first"))
    )
    user_first = first_ok_by_ip.group_by("user_principal_name").agg(
        pl.col("ip_first").min().alias("user_first")
    )
    new_ips = (
        first_ok_by_ip.join(user_first, on="user_principal_name")
        .filter(
            (pl.col("ip_first") >= recent) & (pl.col("user_first") < recent - timedelta(days=7))
        )
        .group_by("user_principal_name")
        .agg(pl.col("ip").sort().alias("new_ips"))
    )
    unusual = ~pl.col("country").is_in(usual) & pl.col("country").is_not_null()
    stats = smtp.group_by("user_principal_name").agg(
        SUCCESS.sum().alias("successes"),
        (~SUCCESS).sum().alias("failures"),
        pl.col("created").filter(SUCCESS).max().alias("last_success"),
        pl.col("created").max().alias("last_attempt"),
        pl.col("created").min().alias("first_attempt"),
        pl.col("ip").filter(SUCCESS).value_counts(sort=True).alias("ok_ips"),
        pl.col("ip").filter(~SUCCESS).n_unique().alias("failed_ip_count"),
        pl.col("country").filter(unusual).unique().sort().alias("unusual_countries"),
        pl.col("status_code").filter(~SUCCESS).value_counts(sort=True).alias("failure_codes"),
        pl.col("created").filter(SUCCESS).dt.date().alias("ok_days"),
    )
    return stats.join(new_ips, on="user_principal_name", how="left").rename(
        {"user_principal_name": "identity"}
    )


def compromise_moments(smtp: pl.DataFrame, usual: list[str]) -> pl.DataFrame:
    """Per user: failures before the first success from an unusual country, and that moment."""
    unusual_ok = smtp.filter(
        SUCCESS & ~pl.col("country").is_in(usual) & pl.col("country").is_not_null()
    )
    first_unusual = unusual_ok.group_by("user_principal_name").agg(
        pl.col("created").min().alias("takeover"),
        pl.col("country").sort_by("created").first().alias("takeover_country"),
    )
    before = smtp.join(first_unusual, on="user_principal_name").filter(
        ~SUCCESS & (pl.col("created") <= pl.col("takeover"))
    )
    failures = before.group_by("user_principal_name").agg(pl.len().alias("failures_before"))
    return first_unusual.join(failures, on="user_principal_name", how="left").rename(
        {"user_principal_name": "identity"}
    )


def trace_activity(messages: pl.DataFrame, identities: pl.Series) -> pl.DataFrame:
    """One row per sending identity: messages (not recipient rows), active days, recipients by
    direction, failures, source addresses, last message, busiest day."""
    mine = messages.filter(pl.col("sender").is_in(identities.implode()))
    message_key = pl.coalesce("message_id", "trace_id", pl.col("received").cast(pl.String))
    day = pl.col("received").dt.date()
    daily = (
        mine.group_by("sender", day.alias("day"))
        .agg(message_key.n_unique().alias("n"))
        .group_by("sender")
        .agg(
            pl.col("n").max().alias("busiest_day_messages"),
            pl.col("n").median().alias("median_day_messages"),
            pl.col("day").sort_by("n").last().alias("busiest_day"),
        )
    )
    stats = mine.group_by("sender").agg(
        message_key.n_unique().alias("trace_messages"),
        pl.len().alias("recipient_rows"),
        (pl.col("direction") == "IntraOrg").sum().alias("internal_rows"),
        (pl.col("direction") == "Outbound").sum().alias("external_rows"),
        (pl.col("status") == "Failed").sum().alias("failed_rows"),
        pl.col("received").max().alias("last_message"),
        pl.col("received").min().alias("first_message"),
        pl.col("from_ip").drop_nulls().unique().sort().alias("trace_ips"),
    )
    return stats.join(daily, on="sender", how="left").rename({"sender": "identity"})


def identity_table(
    identities: pl.DataFrame,
    signins: pl.DataFrame | None,
    trace: pl.DataFrame | None,
    report: pl.DataFrame | None,
) -> pl.DataFrame:
    """The identity list left-joined with each reduced input (absent inputs add no columns)."""
    table = identities
    for part in (signins, trace, report):
        if part is not None:
            table = table.join(part, on="identity", how="left")
    return table
