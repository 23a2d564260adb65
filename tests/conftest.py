"""Shared test fixtures: paths to the repository's samples and notebooks."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SAMPLES = REPO / "sample_headers"
NOTEBOOKS = REPO / "notebooks"
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
# A finding text naming a value its caller did not give is an error in every test (and in the
# CLI runs they start), not a silent "(unknown)".
os.environ.setdefault("O365DIAG_STRICT_PLACEHOLDERS", "1")


@pytest.fixture
def cli_env() -> dict[str, str]:
    """Environment for running the CLI as a subprocess with this interpreter."""
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO)
    env.setdefault("PYTHONIOENCODING", "utf-8")
    return env


@pytest.fixture
def python() -> str:
    return sys.executable
