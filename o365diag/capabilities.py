"""The registry of capabilities: one line each, the only place that lists them.

A capability is a package ``o365diag/<name>/`` with a result module (classes deriving from
``o365diag.result.Result``), a command module (``register(subparsers)``) and optionally an app.
The command line, the shared report and the apps iterate over ``CAPABILITIES``; nothing is
imported until it is used, so ``import o365diag`` and ``o365diag --help`` stay light.

Names are relative to the capability's package: ``"result:HeadersResult"`` is
``o365diag.headers.result.HeadersResult``; a result key ``"spf"`` is the schema family
``o365diag.spf`` (its JSON carries ``"schema": "o365diag.spf/<version>"``).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, cast

from o365diag.result import Result, split_schema

__all__ = [
    "CAPABILITIES",
    "Capability",
    "apps",
    "capability",
    "command_modules",
    "load_object",
    "raw_reader",
    "result_from_dict",
    "result_type",
]


@dataclass(frozen=True)
class Capability:
    """One capability: its package, its result types by schema family, its commands, its app."""

    name: str
    results: Mapping[str, str]
    commands: Mapping[str, str]
    app: str | None = None
    # A function (raw bytes, name) -> Result for inputs that are no saved result (the shared
    # report analyzes such files with it); at most one capability may claim raw files.
    raw_reader: str | None = None

    @property
    def package(self) -> str:
        return f"o365diag.{self.name}"

    def qualified(self, target: str) -> str:
        """``"module:Name"`` relative to the package, made absolute."""
        return target if target.startswith("o365diag.") else f"{self.package}.{target}"

    def schema_families(self) -> list[str]:
        return [f"o365diag.{kind}" for kind in self.results]


def capability(
    name: str,
    *,
    results: Mapping[str, str],
    commands: Mapping[str, str],
    app: str | None = None,
    raw_reader: str | None = None,
) -> Capability:
    return Capability(name, dict(results), dict(commands), app, raw_reader)


# -- the registry: one line per capability ------------------------------------------------------
CAPABILITIES: tuple[Capability, ...] = (
    capability(
        "headers",
        results={"headers": "result:HeadersResult"},
        commands={"headers": "command"},
        app="o365diag.widgets.headers:HeaderAnalyzerApp",
        raw_reader="analysis:analyze",
    ),
    capability(
        "smtp",
        results={"smtp": "result:SmtpResult"},
        commands={"smtp": "command", "simulate": "command"},
        app="o365diag.widgets.connection:ConnectionTestApp",
    ),
    capability(
        "dns",
        results={
            "dns": "result:DomainResult",
            "spf": "result:SpfCheckResult",
            "dkim": "result:DkimResult",
        },
        commands={"dns": "command", "spf": "command", "dkim": "command"},
        app="o365diag.widgets.domain:DomainCheckApp",
    ),
    capability(
        "trace",
        results={"trace": "result:TraceResult"},
        commands={"trace": "command", "synth-trace": "command"},
        app="o365diag.widgets.trace:TraceExplorerApp",
    ),
    capability(
        "setup",
        results={"setup": "result:SetupResult", "audit": "result:AuditResult"},
        commands={"setup": "command", "audit": "command"},
        app="o365diag.widgets.setup:SetupAssistantApp",
    ),
    capability(
        "tenant",
        results={
            "pull": "result:PullResult",
            "tenant-check": "result:TenantCheckResult",
            "signins": "result:SigninsResult",
        },
        commands={"tenant": "command", "signins": "command", "collect-script": "command"},
        app="o365diag.widgets.tenant:ConnectPanel",
    ),
    capability(
        "cutover",
        results={"cutover": "result:CutoverResult", "explain": "result:ExplainResult"},
        commands={"cutover": "command", "explain": "command"},
        app="o365diag.widgets.cutover:CutoverApp",
    ),
)


# -- lookups ------------------------------------------------------------------------------------
def load_object(target: str) -> Any:
    """The object named by an absolute ``"package.module:Name"``."""
    module_name, _, attribute = target.partition(":")
    return getattr(importlib.import_module(module_name), attribute)


def command_modules() -> dict[str, str]:
    """Command name -> the absolute module that registers it."""
    return {
        command: cap.qualified(module)
        for cap in CAPABILITIES
        for command, module in cap.commands.items()
    }


def apps() -> dict[str, str]:
    """App class name -> the absolute ``module:Name`` that defines it."""
    return {cap.app.rpartition(":")[2]: cap.app for cap in CAPABILITIES if cap.app is not None}


def raw_reader() -> Callable[[bytes, str], Result]:
    """The function that analyzes a raw input (one that is no saved result)."""
    readers = [cap.qualified(cap.raw_reader) for cap in CAPABILITIES if cap.raw_reader]
    assert len(readers) == 1, readers
    found = load_object(readers[0])
    assert callable(found), readers[0]
    return cast("Callable[[bytes, str], Result]", found)


def _result_targets() -> dict[str, str]:
    return {
        f"o365diag.{kind}": cap.qualified(target)
        for cap in CAPABILITIES
        for kind, target in cap.results.items()
    }


def result_type(schema: str) -> type[Result]:
    """The registered result class for a schema (``o365diag.x/N``); ``Result`` if none is."""
    parsed = split_schema(schema)
    target = _result_targets().get(parsed[0]) if parsed else None
    if target is None:
        return Result
    found = load_object(target)
    assert isinstance(found, type) and issubclass(found, Result), target
    return found


def result_from_dict(obj: Mapping[str, Any], name: str = "") -> Result:
    """A saved result, as its registered type (any version; unknown schemas as ``Result``)."""
    schema = obj.get("schema")
    return result_type(schema if isinstance(schema, str) else "").from_dict(obj, name)
