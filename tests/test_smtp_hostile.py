"""Hostile SMTP servers on loopback: one that repeats the credentials it was sent in its refusal
(whole, base64, as the PLAIN or XOAUTH2 blob, split over two reply lines), and one that speaks
Latin-1. No output (text, JSON, HTML, the transcript) may carry a secret or invalid UTF-8."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import subprocess
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword

from o365diag.cli import main
from o365diag.smtp.probe import run_probe
from tests.smtp_support import loopback_config, raw_server

USER = "printer@example.com"
PASSWORD = "Tr0ub4dor&3-echoed-password-for-tests"
TOKEN = "eyJ0eXAiOiJKV1QiLCJhbGciOi-echoed-token-for-tests"


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def plain_blob(user: bytes, password: bytes) -> str:
    return b64(b"\0" + user + b"\0" + password)


def xoauth2_blob(user: bytes, token: bytes) -> str:
    return b64(b"user=" + user + b"\x01auth=Bearer " + token + b"\x01\x01")


def halves(text: str) -> tuple[str, str]:
    middle = len(text) // 2
    return text[:middle], text[middle:]


def split_reply(secret: str) -> str:
    first, second = halves(secret)
    return f"535-5.7.8 you sent {first}\r\n535 5.7.8 {second} which is wrong"


# What the server answers to a failed AUTH, from what it was sent (user, password or token).
ECHOES: dict[str, Callable[[bytes, bytes], str]] = {
    "password": lambda u, p: f"535 5.7.8 wrong password {p.decode()}",
    "base64": lambda u, p: f"535 5.7.8 wrong password {b64(p)}",
    "plain-blob": lambda u, p: f"535 5.7.8 bad blob {plain_blob(u, p)}",
    "login-parts": lambda u, p: f"535 5.7.8 got {b64(u)} and {b64(p)}",
    "split": lambda u, p: split_reply(p.decode()),
    "split-base64": lambda u, p: split_reply(b64(p)),
    "xoauth2-blob": lambda u, t: f"535 5.7.8 bad blob {xoauth2_blob(u, t)}",
    "xoauth2-token": lambda u, t: f"535 5.7.8 token {t.decode()} expired",
    "xoauth2-split": lambda u, t: split_reply(t.decode()),
}


class EchoingHandler:
    """Refuses every AUTH and repeats what it was sent, the way ``ECHOES[mode]`` says."""

    def __init__(self, mode: str) -> None:
        self.echo = ECHOES[mode]

    def authenticator(
        self, server: object, session: object, envelope: object, mechanism: str, data: object
    ) -> AuthResult:
        assert isinstance(data, LoginPassword)
        return AuthResult(
            success=False, handled=False, message=self.echo(data.login, data.password)
        )

    async def auth_XOAUTH2(self, server: SMTP, args: list[str]) -> AuthResult:
        fields = base64.b64decode(args[1]).split(b"\x01")
        user = fields[0].removeprefix(b"user=")
        token = fields[1].removeprefix(b"auth=Bearer ")
        # An error challenge that carries the token too (it is acknowledged, then refused).
        challenge = json.dumps({"status": "401", "token": token.decode()})
        await server.challenge_auth(challenge)
        return AuthResult(success=False, handled=False, message=self.echo(user, token))


@contextlib.asynccontextmanager
async def echoing_server(mode: str) -> AsyncIterator[int]:
    handler = EchoingHandler(mode)
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: SMTP(
            handler,
            hostname="hostile.example",
            authenticator=handler.authenticator,
            auth_require_tls=False,
            loop=loop,
        ),
        "127.0.0.1",
        0,
    )
    try:
        yield int(server.sockets[0].getsockname()[1])
    finally:
        server.close()
        await server.wait_closed()


def forbidden_forms() -> list[str]:
    """Every form of the two secrets, and each half of them (what a split reply carries)."""
    user = USER.encode()
    forms = []
    for raw in (PASSWORD.encode(), TOKEN.encode()):
        for whole in (
            raw.decode(),
            b64(raw).rstrip("="),
            plain_blob(user, raw).rstrip("="),
            xoauth2_blob(user, raw).rstrip("="),
        ):
            forms += [whole, *halves(whole)]
    return forms


def session_args(port: int, mechanism: str, html: Path) -> list[str]:
    secret = ["--token-env", "HOSTILE_TOKEN"] if mechanism == "xoauth2" else []
    secret = secret or ["--password-env", "HOSTILE_PASSWORD"]
    return [
        "smtp",
        "--profile",
        "submission",
        "--host",
        "localhost",
        "--connect-address",
        "127.0.0.1",
        "--port",
        str(port),
        "--tls",
        "none",
        "--allow-plaintext-auth",
        "--user",
        USER,
        *secret,
        "--auth",
        mechanism,
        "--from",
        USER,
        "--to",
        "rcpt@example.com",
        "--helo",
        "device.example.com",
        "--timeout",
        "5",
        "--html",
        str(html),
    ]


def mechanism_for(mode: str) -> str:
    if mode.startswith("xoauth2"):
        return "xoauth2"
    return "plain" if mode == "plain-blob" else "login"


@pytest.mark.parametrize("mode", sorted(ECHOES))
async def test_an_echoed_credential_reaches_no_output(
    mode: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("HOSTILE_PASSWORD", PASSWORD)
    monkeypatch.setenv("HOSTILE_TOKEN", TOKEN)
    outputs: dict[str, str] = {}
    async with echoing_server(mode) as port:
        for kind in ("text", "json"):
            html = tmp_path / f"{kind}.html"
            argv = session_args(port, mechanism_for(mode), html)
            code = await asyncio.to_thread(main, [*argv, "--json"] if kind == "json" else argv)
            assert code == 1  # AUTH was refused
            captured = capsys.readouterr()
            outputs |= {kind: captured.out, f"{kind} stderr": captured.err}
            outputs[f"{kind} HTML"] = html.read_text(encoding="utf-8")
    report = json.loads(outputs["json"])
    auth = next(step for step in report["steps"] if step["name"] == "auth")
    assert auth["reply"]["code"] == 535
    assert "<redacted>" in auth["reply"]["text"]  # the server did echo, and it was hidden
    for where, text in outputs.items():
        for form in forbidden_forms():
            assert form not in text, f"{mode}: a secret leaked into the {where} output"


async def test_a_split_secret_keeps_the_reply_lines(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("HOSTILE_PASSWORD", PASSWORD)
    async with echoing_server("split") as port:
        argv = [*session_args(port, "login", tmp_path / "r.html"), "--json"]
        assert await asyncio.to_thread(main, argv) == 1
    report = json.loads(capsys.readouterr().out)
    received = [line["line"] for line in report["transcript"] if line["dir"] == "recv"]
    assert "535-5.7.8 you sent <redacted>" in received
    assert "535 5.7.8 <redacted> which is wrong" in received
    auth = next(step for step in report["steps"] if step["name"] == "auth")
    assert auth["reply"]["text"] == "5.7.8 you sent <redacted>\n5.7.8 <redacted> which is wrong"


LATIN1_GREETING = "220 mail.example.net ESMTP prêt".encode("latin-1")


async def latin1_server(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """A server from before UTF-8: Latin-1 in its banner, its EHLO reply and its goodbye."""
    writer.write(LATIN1_GREETING + b"\r\n")
    with contextlib.suppress(ConnectionError):
        while line := await reader.readline():
            verb = line[:4].upper()
            if verb in (b"EHLO", b"HELO"):
                writer.write(
                    "250-mail.example.net à votre service\r\n250 8BITMIME\r\n".encode("latin-1")
                )
            elif verb == b"QUIT":
                writer.write("221 2.0.0 au revoir, à bientôt\r\n".encode("latin-1"))
                await writer.drain()
                break
            else:
                writer.write("250 2.1.0 reçu\r\n".encode("latin-1"))
            await writer.drain()
    writer.close()


async def test_a_latin1_server_gives_valid_utf8_everywhere(
    tmp_path: Path, cli_env: dict[str, str], python: str
) -> None:
    html = tmp_path / "r.html"
    async with raw_server(latin1_server) as port:
        argv = [*session_args(port, "login", html)]
        argv = [a for a in argv if a not in ("--allow-plaintext-auth",)]
        del argv[argv.index("--user") : argv.index("--auth") + 2]
        argv[argv.index("submission")] = "direct-send"
        runs = {}
        for kind, extra in (("text", []), ("json", ["--json"])):
            process = await asyncio.create_subprocess_exec(
                python,
                "-m",
                "o365diag",
                *argv,
                *extra,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                env=cli_env,
            )
            out, err = await asyncio.wait_for(process.communicate(), 60)
            assert process.returncode == 0, err.decode("utf-8", "replace")
            runs[kind] = out
    text = runs["text"].decode("utf-8")  # strict: raises on invalid UTF-8
    assert "prêt" in text
    report = json.loads(runs["json"].decode("utf-8"))
    banner = next(step for step in report["steps"] if step["name"] == "banner")
    assert banner["reply"]["text"].endswith("prêt")
    assert "à bientôt" in json.dumps(report, ensure_ascii=False)
    assert "prêt" in html.read_bytes().decode("utf-8")


@pytest.mark.parametrize("where", ["--password-env", "--token-env"])
def test_a_secret_that_is_not_utf8_is_one_clear_error(
    where: str, cli_env: dict[str, str], python: str
) -> None:
    env = {k.encode(): v.encode() for k, v in cli_env.items()}
    env[b"HOSTILE_SECRET"] = b"mot-de-passe-pr\xeat"
    run = subprocess.run(
        [
            python,
            "-m",
            "o365diag",
            "smtp",
            "--demo",
            "healthy",
            "--user",
            USER,
            where,
            "HOSTILE_SECRET",
        ],
        capture_output=True,
        env=env,  # type: ignore[arg-type]  # bytes keys and values are what os.execve takes
        timeout=60,
    )
    err = run.stderr.decode("utf-8")
    assert run.returncode == 2, err
    assert "not valid UTF-8" in err and len(err.strip().splitlines()) == 1
    assert "mot-de-passe" not in err  # the value is never echoed


async def banner_in_two_packets(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    writer.write(b"220-first line\r\n")
    await writer.drain()
    await asyncio.sleep(0.05)
    writer.write(b"220 second line\r\n")
    with contextlib.suppress(ConnectionError):
        await writer.drain()
        await reader.read()
    writer.close()


async def test_a_reply_held_back_until_its_last_line_still_arrives() -> None:
    async with raw_server(banner_in_two_packets) as port:
        report = await run_probe(loopback_config(port, stop_after="banner"))
    banner = next(step for step in report.data["steps"] if step["name"] == "banner")
    assert banner["status"] == "ok"
    assert banner["reply"]["text"] == "first line\nsecond line"
