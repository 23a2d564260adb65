"""TLS contexts for the probe, what the handshake gave, and what a TLS failure means."""

from __future__ import annotations

import datetime as dt
import ssl
import warnings
from typing import Any

from o365diag.smtp.config import ConfigError, ProbeConfig
from o365diag.smtp.model import PeerCertificate, TlsInfo, TlsMode

__all__ = ["build_context", "classify_ssl_error", "describe_tls", "peer_cert_from_der"]

_VERSIONS = {
    "1.0": ssl.TLSVersion.TLSv1,
    "1.1": ssl.TLSVersion.TLSv1_1,
    "1.2": ssl.TLSVersion.TLSv1_2,
    "1.3": ssl.TLSVersion.TLSv1_3,
}
LEGACY_VERSIONS = frozenset({"TLSv1", "TLSv1.1", "SSLv3"})

# OpenSSL X509_V_ERR_* numbers that tell the certificate problems apart.
_EXPIRED = {10}
_HOSTNAME = {62, 64}
_UNTRUSTED = {2, 18, 19, 20, 21, 27}
_PROTOCOL_REASONS = {
    "UNSUPPORTED_PROTOCOL",
    "TLSV1_ALERT_PROTOCOL_VERSION",
    "NO_PROTOCOLS_AVAILABLE",
    "WRONG_SSL_VERSION",
    "VERSION_TOO_LOW",
}


def build_context(config: ProbeConfig) -> ssl.SSLContext:
    """The client context: verification on unless ``insecure``; optional CA file, client
    certificate, and a maximum version (to behave like an old device)."""
    try:
        context = ssl.create_default_context(cafile=config.cafile)
        if config.client_cert:
            context.load_cert_chain(config.client_cert, config.client_key)
    except (OSError, ssl.SSLError) as exc:
        raise ConfigError(f"cannot load TLS files: {exc.strerror or exc}") from None
    if config.insecure:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    if config.tls_max_version:
        _allow_legacy(context, _VERSIONS[config.tls_max_version])
    return context


def _allow_legacy(context: ssl.SSLContext, maximum: ssl.TLSVersion) -> None:
    # Emulating an old device is the point here, so Python's deprecation warning is noise.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        if maximum < ssl.TLSVersion.TLSv1_2:
            # OpenSSL 3 refuses TLS 1.0/1.1 at its default security level.
            context.set_ciphers("DEFAULT:@SECLEVEL=0")
            context.minimum_version = ssl.TLSVersion.MINIMUM_SUPPORTED
        context.maximum_version = maximum


def describe_tls(ssl_object: Any, mode: TlsMode, server_name: str | None) -> TlsInfo:
    """Version, cipher and peer certificate of an established TLS session."""
    cipher = ssl_object.cipher()
    verified = ssl_object.context.verify_mode == ssl.CERT_REQUIRED
    cert_dict = ssl_object.getpeercert() if verified else None
    peer: PeerCertificate | None
    if cert_dict:
        peer = peer_cert_from_dict(cert_dict)
    else:
        der = ssl_object.getpeercert(binary_form=True)
        peer = peer_cert_from_der(der) if der else None
    return TlsInfo(
        version=ssl_object.version(),
        cipher=cipher[0] if cipher else None,
        verified=verified,
        peer_cert=peer,
        mode=mode,
        server_name=server_name,
    )


def peer_cert_from_dict(cert: dict[str, Any]) -> PeerCertificate:
    """From ``SSLObject.getpeercert()`` (only filled in when the chain was verified)."""
    expiry = _parse_cert_time(cert.get("notAfter"))
    return PeerCertificate(
        subject=_rdn_text(cert.get("subject", ())),
        issuer=_rdn_text(cert.get("issuer", ())),
        san=tuple(value for _kind, value in cert.get("subjectAltName", ())),
        not_after=expiry.isoformat() if expiry else None,
        days_left=_days_left(expiry),
    )


def peer_cert_from_der(der: bytes) -> PeerCertificate | None:
    """Parse a certificate the handshake did not verify (cryptography is imported only here)."""
    from cryptography import x509

    try:
        cert = x509.load_der_x509_certificate(der)
    except ValueError:
        return None
    try:
        san_ext = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName)
        san = tuple(str(v) for v in san_ext.value.get_values_for_type(x509.DNSName))
        san += tuple(str(v) for v in san_ext.value.get_values_for_type(x509.IPAddress))
    except x509.ExtensionNotFound:
        san = ()
    expiry = cert.not_valid_after_utc
    return PeerCertificate(
        subject=cert.subject.rfc4514_string(),
        issuer=cert.issuer.rfc4514_string(),
        san=san,
        not_after=expiry.isoformat(),
        days_left=_days_left(expiry),
    )


_MONTHS = {
    m: i
    for i, m in enumerate(
        ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), 1
    )
}


def _parse_cert_time(text: str | None) -> dt.datetime | None:
    """OpenSSL's ``'Nov 29 02:39:24 2027 GMT'`` (ssl.cert_time_to_seconds would pull in
    the slow-to-import _strptime)."""
    try:
        month, day, clock, year = (text or "").split()[:4]
        hour, minute, second = (int(part) for part in clock.split(":"))
        return dt.datetime(int(year), _MONTHS[month], int(day), hour, minute, second, tzinfo=dt.UTC)
    except (KeyError, ValueError):
        return None


def _rdn_text(rdns: Any) -> str | None:
    parts = [f"{key}={value}" for rdn in rdns for key, value in rdn]
    return ", ".join(parts) or None


def _days_left(expiry: dt.datetime | None) -> int | None:
    if expiry is None:
        return None
    return (expiry - dt.datetime.now(dt.UTC)).days


def classify_ssl_error(exc: BaseException) -> tuple[str, str]:
    """The finding code for a failed handshake, and a plain description of it."""
    if isinstance(exc, ssl.SSLCertVerificationError):
        number = exc.verify_code
        message = exc.verify_message or str(exc)
        if number in _EXPIRED:
            return "tls.cert-expired", f"the server's certificate has expired ({message})"
        if number in _HOSTNAME:
            return "tls.cert-hostname-mismatch", f"certificate name check failed ({message})"
        if number in _UNTRUSTED:
            return "tls.cert-untrusted", f"certificate not trusted ({message})"
        return "tls.cert-untrusted", f"certificate verification failed ({message})"
    reason = getattr(exc, "reason", None) or ""
    if reason in _PROTOCOL_REASONS:
        return "tls.legacy-version", f"no TLS version in common with the server ({reason})"
    text = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
    return "tls.handshake-failed", f"TLS handshake failed ({text})"
