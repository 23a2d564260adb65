"""The plan: canary first, then waves, the commands that turn Basic off ahead of Microsoft's
date, how to roll back, and a countdown.

Basic is turned off per user with an authentication policy that refuses Basic SMTP
(``AllowBasicAuthSmtp`` off), assigned with ``Set-User``; the same policy as the organization
default turns it off for everyone. ``SmtpClientAuthenticationDisabled`` turns SMTP AUTH off
altogether (OAuth too), so it is only for mailboxes that stop using SMTP AUTH.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from o365diag.cutover.model import CutoverAssessment, IdentityRow
from o365diag.cutover.paths import BLOCK_POLICY
from o365diag.setup.powershell import Switch, command

if TYPE_CHECKING:
    from o365diag.setup.smtp_auth_state import SmtpAuthSettings

__all__ = ["build_plan"]

_CANARY_DAYS = 7
_DONE_BEFORE_DAYS = 14


def build_plan(result: CutoverAssessment, settings: SmtpAuthSettings | None) -> dict[str, Any]:
    moving = [r for r in result.identities if r.status in ("broken", "breaks-at-cutover")]
    moving = [r for r in moving if not r.suspected_compromise]
    canary = _canary(moving)
    rest = sorted((r for r in moving if r is not canary), key=_volume)
    return {
        "countdown": _countdown(result),
        "turn_off_now": _turn_off_now(result.identities),
        "canary": _entry(canary, "canary") if canary else None,
        "waves": [
            {
                "name": "broken now",
                "identities": [_entry(r, "now") for r in rest if r.status == "broken"],
            },
            {
                "name": "the rest, smallest first",
                "identities": [_entry(r, "wave") for r in rest if r.status != "broken"],
            },
        ],
        "block_basic": _block_basic(moving, settings),
        "rollback": _rollback(settings),
        "milestones": _milestones(result),
    }


def _volume(row: IdentityRow) -> tuple[float, str]:
    return (
        row.messages_per_day if row.messages_per_day is not None else row.basic_logins,
        row.identity,
    )


def _canary(rows: list[IdentityRow]) -> IdentityRow | None:
    """The first to switch: known to the inventory if possible, then the least mail."""
    if not rows:
        return None
    return min(rows, key=lambda r: (r.device is None, r.status == "broken", *_volume(r)))


def _entry(row: IdentityRow, stage: str) -> dict[str, Any]:
    return {
        "identity": row.identity,
        "stage": stage,
        "path": row.path,
        "why": row.path_reason,
        "block_basic": command(
            "Set-User", Identity=row.identity, AuthenticationPolicy=BLOCK_POLICY
        ),
        "rollback": command("Set-User", Identity=row.identity, AuthenticationPolicy=None),
    }


def _turn_off_now(rows: list[IdentityRow]) -> list[dict[str, str]]:
    return [
        {
            "identity": r.identity,
            "why": "suspected compromise" if r.suspected_compromise else "unused",
            "command": command(
                "Set-CASMailbox", Identity=r.identity, SmtpClientAuthenticationDisabled=True
            ),
            "rollback": command(
                "Set-CASMailbox", Identity=r.identity, SmtpClientAuthenticationDisabled=False
            ),
        }
        for r in rows
        if r.path == "turn-off"
    ]


def _block_basic(rows: list[IdentityRow], settings: SmtpAuthSettings | None) -> dict[str, Any]:
    create = command(
        "New-AuthenticationPolicy", Name=BLOCK_POLICY, AllowBasicAuthSmtp=Switch(False)
    )
    per_user = [
        command("Set-User", Identity=r.identity, AuthenticationPolicy=BLOCK_POLICY) for r in rows
    ]
    policies = []
    if settings is not None and settings.default_policy:
        policies.append(
            command(
                "Set-AuthenticationPolicy",
                Identity=settings.default_policy,
                AllowBasicAuthSmtp=Switch(False),
            )
        )
    return {
        "create_policy": create,
        "per_mailbox": per_user,
        "per_policy": policies,
        "organization": command("Set-OrganizationConfig", DefaultAuthenticationPolicy=BLOCK_POLICY),
        "note": "A new authentication policy blocks every Basic protocol it is not told to "
        "allow; add the Allow... switches your tenant still needs. Policy changes take up to "
        "24 hours (Set-User -STSRefreshTokensValidFrom with the current time applies them "
        "sooner). Turn Basic off per mailbox right after its move, and for the organization "
        "once the last one has moved.",
    }


def _rollback(settings: SmtpAuthSettings | None) -> dict[str, Any]:
    default = settings.default_policy if settings is not None else None
    return {
        "per_mailbox": "Set-User -Identity <mailbox> -AuthenticationPolicy $null",
        "organization": command("Set-OrganizationConfig", DefaultAuthenticationPolicy=default),
        "smtp_auth": "Set-CASMailbox -Identity <mailbox> -SmtpClientAuthenticationDisabled $false",
        "after_cutover": "Microsoft says admins can turn Basic for SMTP AUTH back on after the "
        "December 2026 default change, until a final removal date it will announce in the "
        "second half of 2027; which switch does it is not documented yet.",
    }


def _countdown(result: CutoverAssessment) -> dict[str, Any]:
    days = result.days_to_cutover
    return {
        "as_of": result.as_of.isoformat(),
        "cutover_date": result.cutover_date.isoformat(),
        "days_to_cutover": days,
        "weeks_to_cutover": days // 7,
        "passed": days < 0,
    }


def _milestones(result: CutoverAssessment) -> list[dict[str, str]]:
    start, end = result.as_of, result.cutover_date
    done_by = end - timedelta(days=_DONE_BEFORE_DAYS)
    canary_by = min(start + timedelta(days=_CANARY_DAYS), done_by)
    return [
        {"date": start.isoformat(), "what": "turn SMTP AUTH off where unused or compromised"},
        {"date": canary_by.isoformat(), "what": "canary moved, Basic blocked for it, mail checked"},
        {"date": done_by.isoformat(), "what": "every identity moved and Basic blocked per mailbox"},
        {"date": end.isoformat(), "what": "Microsoft's default: Basic SMTP AUTH off"},
    ]
