"""Zones for the DNS tests: a domain set up the way Microsoft 365 asks, and broken variants."""

from __future__ import annotations

import base64
from functools import cache

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.dnsserver import Zone

DOMAIN = "contoso.test"
DEVICE_IP = "198.51.100.7"  # listed in SPF
OTHER_IP = "192.0.2.55"  # not listed anywhere
LISTED_IP = "203.0.113.66"  # on the blocklist
MICROSOFT_IP = "203.0.113.20"  # inside the stand-in spf.protection.outlook.com range
EXCHANGE_MX = "contoso-test.mail.protection.outlook.com"


@cache
def private_key(bits: int = 2048) -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=bits)


def dkim_record(bits: int = 2048) -> str:
    der = (
        private_key(bits)
        .public_key()
        .public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    return "v=DKIM1; k=rsa; p=" + base64.b64encode(der).decode()


def private_pem(bits: int = 2048) -> bytes:
    return private_key(bits).private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )


def microsoft_zone() -> Zone:
    """What Microsoft 365 itself serves: the SPF include, the MX host, the DKIM key targets."""
    zone = Zone()
    zone.txt("spf.protection.outlook.com", "v=spf1 ip4:203.0.113.0/27 ip6:2001:db8:40::/48 -all")
    zone.add(EXCHANGE_MX, "A", "203.0.113.30")
    zone.add("autodiscover.outlook.com", "A", "203.0.113.31")
    for n in (1, 2):
        zone.txt(f"selector{n}-contoso-test._domainkey.contoso.onmicrosoft.com", dkim_record())
    return zone


def ready_zone() -> Zone:
    """contoso.test done right: one Exchange Online MX, SPF with the device IP, DKIM, DMARC."""
    zone = microsoft_zone()
    zone.add(DOMAIN, "MX", (0, EXCHANGE_MX))
    zone.txt(DOMAIN, "MS=ms12345678")
    zone.txt(
        DOMAIN,
        f"v=spf1 ip4:{DEVICE_IP} include:spf.protection.outlook.com include:_spf.{DOMAIN} -all",
    )
    zone.txt(f"_spf.{DOMAIN}", "v=spf1 ip4:192.0.2.128/28 ~all")
    for n in (1, 2):
        zone.add(
            f"selector{n}._domainkey.{DOMAIN}",
            "CNAME",
            f"selector{n}-contoso-test._domainkey.contoso.onmicrosoft.com",
        )
    zone.txt(
        f"_dmarc.{DOMAIN}",
        "v=DMARC1; p=reject; rua=mailto:dmarc@contoso.test,mailto:agg@reports.example.net",
    )
    zone.txt(f"{DOMAIN}._report._dmarc.reports.example.net", "v=DMARC1")
    zone.txt(f"_mta-sts.{DOMAIN}", "v=STSv1; id=20250601T000000")
    zone.txt(f"_smtp._tls.{DOMAIN}", "v=TLSRPTv1; rua=mailto:tlsrpt@contoso.test")
    zone.add(f"autodiscover.{DOMAIN}", "CNAME", "autodiscover.outlook.com")
    _blocklist(zone)
    return zone


def _blocklist(zone: Zone) -> None:
    """zen.spamhaus.org as a well-behaved list (test entries) with one listed IP."""
    zone.add("2.0.0.127.zen.spamhaus.org", "A", "127.0.0.2")
    reversed_ip = ".".join(reversed(LISTED_IP.split(".")))
    zone.add(f"{reversed_ip}.zen.spamhaus.org", "A", "127.0.0.4")
