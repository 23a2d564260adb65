"""The capability contract: the registry, typed results that render themselves, one error tree."""

from __future__ import annotations

import importlib
import inspect
import json
import pkgutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

import o365diag
from o365diag import errors
from o365diag.capabilities import (
    CAPABILITIES,
    command_modules,
    load_object,
    result_from_dict,
    result_type,
)
from o365diag.cli import COMMANDS, build_parser
from o365diag.errors import ConfigError, O365DiagError, setting
from o365diag.headers import analyze
from o365diag.report import SharedReport
from o365diag.result import Result, split_schema
from tests.conftest import SAMPLES

REGISTERED = [
    (cap.name, f"o365diag.{kind}", cap.qualified(target))
    for cap in CAPABILITIES
    for kind, target in cap.results.items()
]


@pytest.mark.parametrize(("name", "family", "target"), REGISTERED)
def test_every_registered_result_loads_round_trips_and_renders(
    name: str, family: str, target: str
) -> None:
    cls = result_type(f"{family}/1")
    assert issubclass(cls, Result) and cls is not Result, target
    assert split_schema(cls.SCHEMA) == (family, 1)
    assert cls.__module__ == f"o365diag.{name}.result"
    empty = result_from_dict({"schema": cls.SCHEMA, "findings": []}, "empty.json")
    assert type(empty) is cls and empty.title and empty.title != "o365diag report"
    again = result_from_dict(json.loads(empty.to_json()))
    assert again.to_dict() == empty.to_dict()
    shared = SharedReport.build([empty])
    assert shared.to_html().startswith("<!DOCTYPE html>")
    assert f"schema `{cls.SCHEMA}`" in shared.to_markdown()


def test_a_fresh_result_and_its_saved_json_render_the_same_section() -> None:
    fresh = analyze((SAMPLES / "02-direct-send-scanner-not-in-spf.txt").read_bytes())
    saved = result_from_dict(json.loads(fresh.to_json()))
    assert type(saved) is type(fresh)
    assert saved.title == fresh.title
    assert saved.section_html() == fresh.section_html()
    assert saved.safe_facts() == fresh.safe_facts() != []


def test_an_older_schema_version_is_upgraded_and_a_newer_one_still_loads() -> None:
    class Versioned(Result):
        SCHEMA = "o365diag.versioned/2"

        @classmethod
        def upgrade(cls, data: dict[str, Any], version: int) -> dict[str, Any]:
            return {"name": data.pop("old_name", None), **data}

        @classmethod
        def title_from(cls, data: Any) -> str:
            return f"Versioned {data['name']}"

    old = Versioned.from_dict({"schema": "o365diag.versioned/1", "old_name": "a"})
    assert old.schema == "o365diag.versioned/2" and old.data == {"name": "a"}
    assert old.title == "Versioned a"
    newer = Versioned.from_dict({"schema": "o365diag.versioned/3", "name": "b", "extra": 1})
    assert newer.schema == "o365diag.versioned/3" and newer.data["extra"] == 1


def test_the_cli_commands_come_from_the_registry() -> None:
    assert set(command_modules()) | {"report"} == set(COMMANDS)
    parser = build_parser()
    registered = {
        name
        for action in parser._actions
        if hasattr(action, "choices") and isinstance(action.choices, dict)
        for name in action.choices
    }
    assert registered == set(COMMANDS)


def _package_classes() -> list[type[BaseException]]:
    found = []
    for module_info in pkgutil.walk_packages(o365diag.__path__, "o365diag."):
        if module_info.name.endswith("__main__"):
            continue
        module = importlib.import_module(module_info.name)
        for _, value in inspect.getmembers(module, inspect.isclass):
            if issubclass(value, BaseException) and value.__module__ == module.__name__:
                found.append(value)
    return found


def test_every_error_o365diag_defines_derives_from_o365diagerror() -> None:
    classes = _package_classes()
    assert len(classes) >= 15
    outside = [f"{c.__module__}.{c.__name__}" for c in classes if not issubclass(c, O365DiagError)]
    assert outside == []
    for name in errors.__all__:
        if name[0].isupper():
            assert getattr(o365diag, name) is getattr(errors, name)  # exported at the top
    bad_input = [c for c in classes if issubclass(c, errors.InputError | errors.ConfigError)]
    assert all(issubclass(c, ValueError) for c in bad_input)


def test_an_error_names_its_field_as_each_front_end_calls_it() -> None:
    exc = ConfigError(f"data needs {setting('send')} (DATA on request)", field="stop_after")
    assert str(exc) == "stop after: data needs send (DATA on request)"
    labels = {"stop_after": "Stop after", "send": "Send a test message"}
    assert (
        exc.describe(labels.get) == "Stop after: data needs Send a test message (DATA on request)"
    )
    assert exc.field == "stop_after" and "--" not in str(exc)


@pytest.mark.parametrize(
    ("args", "line"),
    [
        (
            [
                "smtp",
                "--host",
                "mail.example.com",
                "--port",
                "70000",
                "--from",
                "a@example.com",
                "--to",
                "b@example.com",
            ],
            "o365diag smtp: --port: 70000 is out of range (1-65535)",
        ),
        (
            ["smtp", "--demo", "healthy", "--stop-after", "data"],
            "o365diag smtp: --stop-after: data needs --send (DATA is only sent on request)",
        ),
    ],
)
def test_the_cli_words_a_field_as_its_option(
    python: str, cli_env: dict[str, str], args: list[str], line: str
) -> None:
    result = subprocess.run(
        [python, "-m", "o365diag", *args], capture_output=True, text=True, env=cli_env, timeout=60
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [line]


# Bad input for every command: (arguments, words the one line must hold). "{tmp}" is a fresh
# folder; "{junk}" a file in it that is no input of any kind.
BAD_INPUT = {
    "headers": (["{tmp}/missing.eml"], "cannot read"),
    "smtp": (["--from", "a@example.com", "--to", "b@example.com", "--port", "0"], "--port:"),
    "simulate": (["--scenario", "nope"], "unknown scenario 'nope'"),
    "dns": (["not a domain"], "is not a domain name"),
    "spf": (["--ip", "300.1.1.1", "--mail-from", "a@example.com"], "--ip:"),
    "dkim": (["{tmp}/missing.eml"], "cannot read"),
    "trace": (["{junk}"], "junk.csv"),
    "synth-trace": (["--start", "yesterday", "--out", "{tmp}/out"], "is not an ISO date"),
    "setup": (["--domain", "example.com"], "missing answers"),
    "audit": (["{junk}"], "junk.csv"),
    "report": (["{junk}", "-o", "{tmp}/r.html"], "junk.csv"),
    "tenant": (["login", "--client-id", "00000000-0000-0000-0000-000000000000"], "--tenant"),
    "signins": (["{junk}"], "junk.csv"),
    "collect-script": (["-o", "{tmp}/no/such/folder/collect.ps1"], "cannot write"),
    "cutover": (["{junk}"], "junk.csv: not a sign-in log"),
    "explain": (["   "], "give the message"),
}


def test_bad_input_covers_every_command() -> None:
    assert set(BAD_INPUT) == set(COMMANDS)


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_an_unknown_option_is_one_line_too(
    python: str, cli_env: dict[str, str], command: str
) -> None:
    result = subprocess.run(
        [python, "-m", "o365diag", command, "--no-such-option"],
        capture_output=True,
        text=True,
        env=cli_env,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 2 and len(lines) == 1, result.stderr
    assert lines[0].startswith("o365diag") and lines[0].endswith("--help)")


@pytest.mark.parametrize("command", sorted(BAD_INPUT))
def test_every_commands_bad_input_exits_2_with_one_line(
    python: str, cli_env: dict[str, str], tmp_path: Any, command: str
) -> None:
    junk = tmp_path / "junk.csv"
    junk.write_bytes(b"\x00\x01 not an export, not headers, not JSON \xff\xfe\n")
    args, words = BAD_INPUT[command]
    argv = [a.format(tmp=tmp_path, junk=junk) for a in args]
    env = {**cli_env, "O365DIAG_HOME": str(tmp_path / "home")}
    result = subprocess.run(
        [python, "-m", "o365diag", command, *argv],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 2, result.stderr
    assert len(lines) == 1 and lines[0].startswith(f"o365diag {command}: "), result.stderr
    assert words in lines[0]


def test_verify_plan_has_no_implicit_demo_mode() -> None:
    from o365diag.setup.verify import VerifyOptions, verify_plan

    assert VerifyOptions().demo is False
    assert inspect.signature(verify_plan).parameters["options"].default is inspect.Parameter.empty


def test_the_apps_package_exports_exactly_the_registered_apps() -> None:
    import o365diag.widgets as apps_package
    from o365diag.capabilities import apps

    registered = set(apps())
    assert set(apps_package.__all__) - {"in_dashboard"} == registered
    for name, target in apps().items():
        assert getattr(apps_package, name) is load_object(target)


def test_the_shared_report_reads_raw_files_through_the_registry() -> None:
    from o365diag.capabilities import raw_reader
    from o365diag.headers.analysis import analyze

    assert raw_reader() is analyze
    source = Path(__file__).parents[1] / "o365diag" / "report.py"
    imported = [
        line for line in source.read_text().splitlines() if line.startswith("from o365diag.")
    ]
    assert not [
        line for line in imported if any(f"o365diag.{c.name}" in line for c in CAPABILITIES)
    ]
