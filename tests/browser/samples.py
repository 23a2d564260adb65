"""Headers the browser tests paste into the analyzer (documentation names and addresses only)."""

from __future__ import annotations

# A scanner behind an on-premises relay: explicit DMARC failure (compauth 001) and a 43-minute
# wait at the gateway, so the hop chart has something to show.
SCANNER_VIA_GATEWAY = """\
Received: from gw.example.net (198.51.100.20) by
 BN8NAM11FT011.mail.protection.outlook.com (10.13.177.90) with Microsoft SMTP
 Server id 15.20.8534.20 via Frontend Transport; Tue, 24 Nov 2026 09:14:52 +0000
Received: from relay.example.net (192.0.2.15) by gw.example.net with ESMTP id 7Qk2;
 Tue, 24 Nov 2026 08:31:09 +0000
Received: from scanner7 (203.0.113.70) by relay.example.net with SMTP id 4Zx1;
 Tue, 24 Nov 2026 08:31:07 +0000
Authentication-Results: spf=fail (sender IP is 198.51.100.20)
 smtp.mailfrom=fabrikam.example; dkim=none (message not signed)
 header.d=none;dmarc=fail action=oreject header.from=fabrikam.example;compauth=fail
 reason=001
From: Scanner 7 <scanner7@fabrikam.example>
To: <ap@example.org>
Subject: Invoice scan 2026-11-24
Date: Tue, 24 Nov 2026 08:31:05 +0000
X-Forefront-Antispam-Report: CIP:198.51.100.20;CTRY:NL;LANG:en;SCL:5;SRV:;IPV:NLI;SFV:SPM;
 H:gw.example.net;PTR:;CAT:SPOOF;SFS:;DIR:INB;
"""

# Script and event-handler payloads in the Subject, the Received lines and the From name.
# window.__xss is set and alert() called if any of them ever runs.
HOSTILE = """\
Received: from evil.example.net (203.0.113.66) by
 mx<img src=x onerror="window.__xss=1;alert(1)">.example.net with ESMTP;
 Tue, 24 Nov 2026 10:05:00 +0000
Received: from <script>window.__xss=2;alert(2)</script> (192.0.2.66) by evil.example.net
 with SMTP; Tue, 24 Nov 2026 10:00:00 +0000
Authentication-Results: spf=fail (sender IP is 203.0.113.66)
 smtp.mailfrom=example.net; dkim=none (message not signed) header.d=none;dmarc=fail
 action=none header.from=example.net;compauth=fail reason=000
Subject: <script>window.__xss=3;alert(3)</script><img src=x onerror="alert(4)">
From: "<svg onload=alert(5)>" <attacker@example.net>
To: <victim@example.org>
"""

XSS_CHECK = """() => ({
    flag: window.__xss === undefined ? null : window.__xss,
    handlers: document.querySelectorAll('[onerror], [onload]').length,
    images: document.querySelectorAll('img[src="x"]').length,
    scripts: [...document.scripts].filter(s => s.textContent.includes('__xss')).length,
})"""
XSS_CLEAN = {"flag": None, "handlers": 0, "images": 0, "scripts": 0}
