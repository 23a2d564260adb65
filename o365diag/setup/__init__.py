"""Set up a device the right way, and review a tenant's configuration for least privilege.

The setup assistant takes :class:`SetupAnswers` (what the device can do and needs), picks the
sending option from Microsoft's comparison table and writes the device settings, DNS records
and Exchange Online PowerShell (:func:`plan_setup`); :func:`verify_plan` then runs the domain
audit and the connection test. :func:`audit_files` reviews ``ConvertTo-Json`` exports of the
tenant's connectors, transport, mailbox, filtering and authentication settings. Heavy modules
(DNS, SMTP) load only when the verify step runs::

    from o365diag.setup import SetupAnswers, plan_setup
    plan = plan_setup(SetupAnswers(domain="example.com", sender="scanner@example.com",
                                   tls=True, auth="oauth", recipients="both"))
    print(plan.to_text())
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from o365diag._lazy import lazy_getattr
from o365diag.setup.answers import QUESTIONS, AnswerError, Question, SetupAnswers

if TYPE_CHECKING:
    from o365diag.setup.audit import audit_exports, audit_files
    from o365diag.setup.exports import ExportError, read_export
    from o365diag.setup.generate import SetupPlan, plan_setup
    from o365diag.setup.options import Recommendation, recommend
    from o365diag.setup.verify import VerifyOptions, VerifyResult, verify_plan

__all__ = [
    "QUESTIONS",
    "AnswerError",
    "ExportError",
    "Question",
    "Recommendation",
    "SetupAnswers",
    "SetupPlan",
    "VerifyOptions",
    "VerifyResult",
    "audit_exports",
    "audit_files",
    "plan_setup",
    "read_export",
    "recommend",
    "verify_plan",
]

_LAZY = {
    "audit_exports": "audit",
    "audit_files": "audit",
    "ExportError": "exports",
    "read_export": "exports",
    "SetupPlan": "generate",
    "plan_setup": "generate",
    "Recommendation": "options",
    "recommend": "options",
    "VerifyOptions": "verify",
    "VerifyResult": "verify",
    "verify_plan": "verify",
}


__getattr__ = lazy_getattr(__name__, _LAZY)
