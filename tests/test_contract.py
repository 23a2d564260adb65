"""The capability contract: the registry, typed results that render themselves, one error tree."""

from __future__ import annotations

import importlib
import inspect
import json
import pkgutil
import subprocess
from typing import Any

import pytest

import o365diag
from o365diag import errors
from o365diag.capabilities import CAPABILITIES, command_modules, result_from_dict, result_type
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
