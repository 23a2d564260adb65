"""The one module that reaches into aiosmtplib beyond its public API.

The probe drives the SMTP conversation a step at a time, which aiosmtplib's public ``SMTP``
client does not offer, so it uses aiosmtplib's protocol class directly. Those names are not
exported by ``aiosmtplib`` itself: they are imported here, and only here, so an aiosmtplib
release that moves them breaks one module (tests/test_contract.py checks that no other module
imports an aiosmtplib submodule).
"""

from __future__ import annotations

from aiosmtplib.esmtp import parse_esmtp_extensions
from aiosmtplib.protocol import MAX_RESPONSE_LENGTH, SMTPProtocol

__all__ = ["MAX_RESPONSE_LENGTH", "SMTPProtocol", "parse_esmtp_extensions"]
