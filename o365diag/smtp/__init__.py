"""Live SMTP connection test for devices that send through Microsoft 365.

The probe runs a session step by step (resolve, connect, banner, EHLO, STARTTLS, AUTH, MAIL,
RCPT, DATA, QUIT), records a swaks-style transcript with credentials redacted, and explains
every reply for the chosen sending option (submission, direct send, relay). An XOAUTH2 token
can come from a device-code sign-in (``oauth``, with the optional MSAL). The simulator is
an Office 365-like server for demos and tests. Every name loads on first use, so importing
this package (as the CLI does to build its parser) stays cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from o365diag._lazy import lazy_getattr

if TYPE_CHECKING:
    from o365diag.smtp.config import PROFILES, ConfigError, ProbeConfig, Profile, Secret
    from o365diag.smtp.diagnose import build_report
    from o365diag.smtp.oauth import DeviceCodeSettings, device_code_login
    from o365diag.smtp.probe import Probe, Session, run_probe
    from o365diag.smtp.simulator import SCENARIOS, Scenario, Simulator

__all__ = [
    "PROFILES",
    "SCENARIOS",
    "ConfigError",
    "DeviceCodeSettings",
    "Probe",
    "ProbeConfig",
    "Profile",
    "Scenario",
    "Secret",
    "Session",
    "Simulator",
    "build_report",
    "device_code_login",
    "run_probe",
]

_LAZY = {
    "PROFILES": "o365diag.smtp.config",
    "ConfigError": "o365diag.smtp.config",
    "ProbeConfig": "o365diag.smtp.config",
    "Profile": "o365diag.smtp.config",
    "Secret": "o365diag.smtp.config",
    "Probe": "o365diag.smtp.probe",
    "Session": "o365diag.smtp.probe",
    "run_probe": "o365diag.smtp.probe",
    "build_report": "o365diag.smtp.diagnose",
    "DeviceCodeSettings": "o365diag.smtp.oauth",
    "device_code_login": "o365diag.smtp.oauth",
    "SCENARIOS": "o365diag.smtp.simulator",
    "Scenario": "o365diag.smtp.simulator",
    "Simulator": "o365diag.smtp.simulator",
}


__getattr__ = lazy_getattr(__name__, _LAZY)
