"""Real-browser fixtures: Debian's Chromium driven by Playwright against JupyterLab and Voila.

The servers run on 127.0.0.1 with free ports, from a copy of the notebooks in a temporary
folder (so JupyterLab's autosave can never touch the repository), with logs written to files
that a failing test prints. Every wait is bounded. Without Chromium these tests skip, unless
CI=true: then a missing browser is a failure.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import IN_CI, NOTEBOOKS, REPO, SAMPLES

CHROMIUM = Path(os.environ.get("O365DIAG_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    # Tests never touch the internet: every name but loopback fails to resolve at once.
    "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
]
SERVER_START_TIMEOUT = 90
# Screenshots go to a scratch folder so a test run leaves the work tree as it was; set
# O365DIAG_SCREENSHOTS=docs/img to refresh the README's pictures.
_SHOTS = os.environ.get("O365DIAG_SCREENSHOTS")
SCREENSHOTS = REPO / _SHOTS if _SHOTS else Path(tempfile.gettempdir()) / "o365diag-screenshots"
LAB_SETTINGS = {
    # No news or update prompts over the notebook; no autosave of executed notebooks.
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {
        "fetchNews": "false",
        "checkForUpdates": False,
    },
    "@jupyterlab/docmanager-extension/plugin.jupyterlab-settings": {"autosave": False},
}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.path)).parents:
            item.add_marker(pytest.mark.browser)


@dataclass
class Server:
    name: str
    url: str
    process: subprocess.Popen[bytes]
    log: Path

    def log_tail(self, lines: int = 40) -> str:
        text = self.log.read_text(encoding="utf-8", errors="replace")
        return "\n".join(text.splitlines()[-lines:])


@dataclass
class PageWatch:
    """What a page did that a user would notice: dialogs, console errors, uncaught errors."""

    dialogs: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)

    def attach(self, page: Any) -> None:
        page.on("dialog", self._dialog)
        page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        page.on("pageerror", lambda e: self.errors.append(f"uncaught: {e}"))
        page.on("request", lambda r: self.requests.append(r.url))

    def _dialog(self, dialog: Any) -> None:
        self.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def chromium() -> Path:
    if CHROMIUM.is_file():
        return CHROMIUM
    message = f"{CHROMIUM} not found (apt-get install chromium)"
    if IN_CI:
        pytest.fail(f"CI=true and {message}")
    pytest.skip(message)


@pytest.fixture(scope="session")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of notebooks/ and sample_headers/ for the servers to serve."""
    root = tmp_path_factory.mktemp("served")
    shutil.copytree(NOTEBOOKS, root / "notebooks", ignore=shutil.ignore_patterns("*.py", ".*"))
    shutil.copytree(SAMPLES, root / "sample_headers")
    return root


@pytest.fixture(scope="session")
def jupyter_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    home = tmp_path_factory.mktemp("jupyter-home")
    settings = home / "lab-settings"
    for name, values in LAB_SETTINGS.items():
        target = settings / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(values), encoding="utf-8")
    # Kernels of both servers share this profile: no history database for them to contend on.
    profile = home / "ipython" / "profile_default"
    profile.mkdir(parents=True)
    (profile / "ipython_kernel_config.py").write_text(
        "c.HistoryManager.enabled = False\n", encoding="utf-8"
    )
    env = dict(os.environ)
    env.update(
        {
            "PYTHONPATH": os.pathsep.join([str(REPO), env.get("PYTHONPATH", "")]).rstrip(
                os.pathsep
            ),
            "JUPYTER_CONFIG_DIR": str(home / "config"),
            "JUPYTER_RUNTIME_DIR": str(home / "runtime"),
            "JUPYTERLAB_SETTINGS_DIR": str(settings),
            "JUPYTERLAB_WORKSPACES_DIR": str(home / "workspaces"),
            "IPYTHONDIR": str(home / "ipython"),
            "PLOTLY_RENDERER": "plotly_mimetype+notebook",
            "O365DIAG_DEMO": "1",
        }
    )
    return env


def _serve(
    name: str,
    args_for_port: Callable[[int], list[str]],
    cwd: Path,
    ready_path: str,
    env: dict[str, str],
    log_dir: Path,
) -> Iterator[Server]:
    """Run ``python -m <args>`` on a free loopback port until the session ends."""
    port = free_port()
    log = log_dir / f"{name}.log"
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", *args_for_port(port)],
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    server = Server(name, f"http://127.0.0.1:{port}", process, log)
    try:
        _wait_ready(server, server.url + ready_path)
        yield server
    finally:
        _stop(server)


def _wait_ready(server: Server, url: str) -> None:
    deadline = time.monotonic() + SERVER_START_TIMEOUT
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            pytest.fail(f"{server.name} exited early:\n{server.log_tail()}")
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.3)
    pytest.fail(f"{server.name} not ready after {SERVER_START_TIMEOUT} s:\n{server.log_tail()}")


def _stop(server: Server) -> None:
    """Stop the server we started (its kernels stop with it); then its own process group."""
    if server.process.poll() is None:
        server.process.terminate()
        try:
            server.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.process.kill()
            server.process.wait(timeout=10)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(server.process.pid, 9)  # kernels left behind by a killed server, if any


@pytest.fixture(scope="session")
def lab_server(
    chromium: Path, workspace: Path, jupyter_env: dict[str, str], tmp_path_factory: Any
) -> Iterator[Server]:
    def args(port: int) -> list[str]:
        return [
            "jupyterlab",
            "--no-browser",
            f"--port={port}",
            "--ServerApp.ip=127.0.0.1",
            "--IdentityProvider.token=",
            "--ServerApp.password=",
            "--ServerApp.disable_check_xsrf=True",
            "--LabApp.expose_app_in_browser=True",
            "--ServerApp.allow_root=True",
            f"--ServerApp.root_dir={workspace}",
            f"--LabApp.user_settings_dir={jupyter_env['JUPYTERLAB_SETTINGS_DIR']}",
            f"--LabApp.workspaces_dir={jupyter_env['JUPYTERLAB_WORKSPACES_DIR']}",
        ]

    logs = tmp_path_factory.mktemp("logs")
    yield from _serve("jupyterlab", args, workspace, "/api/status", jupyter_env, logs)


@pytest.fixture(scope="session")
def voila_server(
    chromium: Path, workspace: Path, jupyter_env: dict[str, str], tmp_path_factory: Any
) -> Iterator[Server]:
    def args(port: int) -> list[str]:
        return [
            "voila",
            str(workspace / "notebooks"),
            "--no-browser",
            f"--port={port}",
            "--Voila.ip=127.0.0.1",
            "--show_tracebacks=True",
            "--VoilaExecutor.timeout=120",
        ]

    logs = tmp_path_factory.mktemp("logs")
    yield from _serve("voila", args, workspace / "notebooks", "/", jupyter_env, logs)


# Module scope, not session: Playwright's sync API keeps an event loop running in this thread
# while it is open, and the asyncio tests that run after the browser tests need the thread free.
@pytest.fixture(scope="module")
def browser_context(chromium: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    profile = tmp_path_factory.mktemp("chromium-profile")  # a new, empty user-data-dir
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(profile),
            executable_path=str(chromium),
            args=CHROMIUM_ARGS,
            headless=True,
            viewport={"width": 1280, "height": 900},
            accept_downloads=True,
        )
        context.set_default_timeout(30_000)
        yield context
        context.close()


@pytest.fixture
def page(browser_context: Any) -> Iterator[Any]:
    page = browser_context.new_page()
    yield page
    close(page)


@pytest.fixture
def watch(page: Any) -> PageWatch:
    watch = PageWatch()
    watch.attach(page)
    return watch


def close(page: Any) -> None:
    """Close like a user closing the tab: Voila then shuts the page's kernel down."""
    page.close(run_before_unload=True)


def screenshot(page: Any, notebook: str, top: Any = None) -> Path:
    """Save the app as it looks now to <SCREENSHOTS>/<notebook>.png (docs/img for the README),
    scrolled so that the ``top`` locator, when given, is at the top of the picture."""
    if top is not None:
        top.first.evaluate("e => e.scrollIntoView({block: 'start'})")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    target = SCREENSHOTS / f"{Path(notebook).stem}.png"
    page.screenshot(path=str(target), full_page=False)
    return target
