"""``o365diag signins FILE...``: who still signs in with SMTP AUTH, from the Entra portal's
sign-in downloads (CSV or JSON) or a store written by ``signins --graph``."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from o365diag.findings import catalogue_finding
from o365diag.tenant.model import SigninFile, SigninsData, SigninUser, SmtpSignins
from o365diag.tenant.result import SIGNINS_SCHEMA, SigninsResult
from o365diag.trace.model import BadRowsSummary
from o365diag.typed import load

__all__ = ["SIGNINS_SCHEMA", "read_signin_store", "signins_report"]

_TABLE = "tenant_findings"
_TOP_USERS = 50


def read_signin_store(path: Path) -> Any:
    """A sign-in store's rows as SigninData (the same columns as the portal loaders give)."""
    import polars as pl

    from o365diag.tenant.signins import SIGNIN_COLUMNS, SigninData, TenantInputError
    from o365diag.trace.store import store_kind, store_tenant_folders

    root, tenants = store_tenant_folders(path)
    if store_kind(root) not in (None, "signIns"):
        raise TenantInputError(f"{path} is a store of {store_kind(root)}, not of sign-ins")
    files = [f for folder in tenants for f in sorted(folder.glob("date=*/*.parquet"))]
    if not files:
        raise TenantInputError(f"{path}: the store holds no sign-ins yet")
    frame = pl.scan_parquet(files, hive_partitioning=False).select(list(SIGNIN_COLUMNS)).collect()
    info = {"file": str(path), "kind": "signins-store", "rows": frame.height, "bad_rows": 0}
    return SigninData(frame, [info])


def signins_report(inputs: Sequence[str | Path]) -> SigninsResult:
    from o365diag.tenant.signins import load_signins, merge_signins
    from o365diag.trace.store import is_store

    stores = [Path(i) for i in inputs if is_store(Path(i))]
    files = [i for i in inputs if not is_store(Path(i))]
    parts = [read_signin_store(s) for s in stores]
    if files:
        parts.append(load_signins(files))
    data = merge_signins(parts)
    return _report(data)


def _report(data: Any) -> SigninsResult:
    import polars as pl

    smtp = data.smtp()
    users = (
        smtp.group_by("user_principal_name")
        .agg(
            pl.len().alias("sign_ins"),
            (pl.col("status_code").fill_null(0) != 0).sum().alias("failures"),
            pl.col("created").max().alias("last"),
            pl.col("ip").drop_nulls().unique().sort().alias("ips"),
            pl.col("app_display_name").drop_nulls().unique().sort().alias("apps"),
        )
        .sort(["sign_ins", "user_principal_name"], descending=[True, False])
    )
    period = _period(data.frame)
    signins = SigninsData(
        files=[SigninFile(**info) for info in data.files],
        rows=data.frame.height,
        bad_rows=load(BadRowsSummary, data.bad_rows.to_dict()),
        period=[p.isoformat() for p in period] if period else None,
        smtp=SmtpSignins(
            sign_ins=smtp.height,
            failures=int(users.get_column("failures").sum()) if users.height else 0,
            users=[_user(row) for row in users.head(_TOP_USERS).iter_rows(named=True)],
            user_count=users.height,
        ),
    )
    return SigninsResult.from_model(signins, _findings(data, smtp.height, users))


def _period(frame: Any) -> tuple[Any, Any] | None:
    import polars as pl

    if frame.is_empty():
        return None
    first, last = frame.select(
        pl.col("created").min().alias("first"), pl.col("created").max().alias("last")
    ).row(0)
    return first, last


def _user(row: dict[str, Any]) -> SigninUser:
    return SigninUser(
        user=row["user_principal_name"],
        sign_ins=row["sign_ins"],
        failures=row["failures"],
        last=row["last"].isoformat() if row["last"] else None,
        ips=row["ips"],
        apps=row["apps"],
    )


def _findings(data: Any, smtp_rows: int, users: Any) -> list[Any]:
    found = []
    if data.bad_rows.count:
        reasons = ", ".join(f"{r} ({n})" for r, n in data.bad_rows.by_reason.items())
        found.append(
            catalogue_finding(
                _TABLE, "tenant.bad-rows", {"count": data.bad_rows.count, "reasons": reasons}
            )
        )
    if smtp_rows:
        names = users.get_column("user_principal_name").head(10).to_list()
        found.append(
            catalogue_finding(
                _TABLE,
                "tenant.smtp-sign-ins",
                {"users": users.height, "count": smtp_rows},
                evidence=[str(n) for n in names],
            )
        )
    else:
        found.append(
            catalogue_finding(_TABLE, "tenant.no-smtp-sign-ins", {"rows": data.frame.height})
        )
    return found
