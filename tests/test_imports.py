"""Imports run one way and are visible: no import hidden inside a function except to load a
heavy optional dependency late (so ``import o365diag`` and ``o365diag --help`` stay light)."""

from __future__ import annotations

import ast
import sys

from tests.conftest import REPO

PACKAGE = REPO / "o365diag"
# Third-party packages that are heavy or optional: loaded when a feature first needs them.
HEAVY = {
    "aiosmtpd",
    "aiosmtplib",
    "cryptography",
    "dkim",
    "dns",
    "duckdb",
    "IPython",
    "ipywidgets",
    "msal",
    "msal_extensions",
    "olefile",
    "plotly",
    "polars",
    "publicsuffixlist",
    "pyarrow",
}
# The edges (the command line, the apps) load a capability's code when a command or an app
# runs it; there the late import of an o365diag module is the lazy loading of the heavy
# dependencies behind it.
EDGES = ("cli.py", "report_command.py", "command.py", "widgets/")
# Library modules that load another o365diag module late, each because that module pulls a
# heavy dependency the caller does not always need.
LAZY_INTERNAL = {
    ("headers/bulk.py", "o365diag.headers.analysis"),
    ("headers/bulk.py", "o365diag.headers.parse"),
    ("headers/result.py", "o365diag.plots"),
    ("smtp/result.py", "o365diag.plots"),
    ("trace/result.py", "o365diag.plots"),
    ("trace/report.py", "o365diag.plots"),
    ("trace/report.py", "o365diag.plotly_bundle"),
    ("report.py", "o365diag.plotly_bundle"),
    ("recheck.py", "o365diag.dns"),
    ("setup/verify.py", "o365diag.dns.audit"),
    ("setup/verify.py", "o365diag.dns.resolver"),
    ("setup/verify.py", "o365diag.setup.demo_zone"),
    ("setup/verify.py", "o365diag.smtp.probe"),
    ("setup/verify.py", "o365diag.smtp.simulator"),
    ("tenant/auth.py", "o365diag.smtp.oauth"),
    ("tenant/pull.py", "o365diag.tenant.signins"),
    ("tenant/pull.py", "o365diag.tenant.store"),
    ("tenant/pull.py", "o365diag.tenant.timerange"),
    ("tenant/pull.py", "o365diag.trace.model"),
    ("tenant/pull.py", "o365diag.trace.normalize"),
    ("tenant/pull.py", "o365diag.trace.read"),
    ("tenant/signin_report.py", "o365diag.tenant.signins"),
    ("tenant/signin_report.py", "o365diag.trace.store"),
    ("tenant/signins.py", "o365diag.trace.dates"),
    ("trace/store.py", "o365diag.trace.normalize"),
    # cutover: the inputs' loaders pull polars; plots/plotly_bundle pull plotly; the model
    # builds its result (and explain its result) inside methods, as result imports model.
    ("cutover/analyze.py", "o365diag.cutover.plan"),
    ("cutover/analyze.py", "o365diag.cutover.summary"),
    ("cutover/explain.py", "o365diag.cutover.result"),
    ("cutover/inputs.py", "o365diag.setup.exports"),
    ("cutover/inputs.py", "o365diag.setup.smtp_auth_state"),
    ("cutover/inputs.py", "o365diag.tenant.signin_report"),
    ("cutover/inputs.py", "o365diag.tenant.signins"),
    ("cutover/inputs.py", "o365diag.tenant.smtp_auth_report"),
    ("cutover/inputs.py", "o365diag.trace.formats"),
    ("cutover/inputs.py", "o365diag.trace.load"),
    ("cutover/inputs.py", "o365diag.trace.model"),
    ("cutover/inputs.py", "o365diag.trace.read"),
    ("cutover/inputs.py", "o365diag.trace.store"),
    ("cutover/model.py", "o365diag.cutover.result"),
    ("cutover/render.py", "o365diag.plotly_bundle"),
    ("cutover/result.py", "o365diag.plots"),
}


def _late_imports() -> list[tuple[str, str]]:
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        where = path.relative_to(PACKAGE).as_posix()
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for inner in ast.walk(node):
                if isinstance(inner, ast.Import):
                    found += [(where, alias.name) for alias in inner.names]
                elif isinstance(inner, ast.ImportFrom) and inner.module and not inner.level:
                    found.append((where, inner.module))
    return found


def _allowed(where: str, module: str) -> bool:
    top = module.split(".")[0]
    if top in HEAVY or top in sys.stdlib_module_names:
        return True
    if top != "o365diag":
        return False  # a light third-party package belongs at the top of the module
    edge = where.endswith(EDGES) or where.startswith("widgets/")
    return edge or (where, module) in LAZY_INTERNAL


def test_no_import_hides_inside_a_function_unless_it_loads_something_heavy() -> None:
    late = _late_imports()
    assert len(late) > 50, "the scan found too few imports: it would pass vacuously"
    hidden = sorted({f"{where}: {module}" for where, module in late if not _allowed(where, module)})
    assert hidden == []


def test_the_allowlist_has_no_stale_entries() -> None:
    late = set(_late_imports())
    assert sorted(f"{w}: {m}" for w, m in LAZY_INTERNAL if (w, m) not in late) == []


def test_only_the_adapter_reaches_into_aiosmtplib() -> None:
    users = set()
    for path in PACKAGE.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("aiosmtplib."):
                users.add(path.relative_to(PACKAGE).as_posix())
    assert users == {"smtp/wire.py"}


def test_the_package_has_no_import_cycle_at_module_level() -> None:
    graph: dict[str, set[str]] = {}
    for path in PACKAGE.rglob("*.py"):
        name = ".".join(("o365diag", *path.relative_to(PACKAGE).with_suffix("").parts))
        name = name.removesuffix(".__init__")
        tree = ast.parse(path.read_text(encoding="utf-8"))
        targets = set()
        for node in tree.body:
            if isinstance(node, ast.ImportFrom) and node.module and not node.level:
                targets.add(node.module)
            elif isinstance(node, ast.Import):
                targets.update(alias.name for alias in node.names)
        graph[name] = {t for t in targets if t.startswith("o365diag")}
    cycles = [(start, path) for start in graph for path in _cycles_from(graph, start) if path]
    assert cycles == []


def _cycles_from(graph: dict[str, set[str]], start: str) -> list[list[str]]:
    seen: set[str] = set()
    stack = [(start, [start])]
    found = []
    while stack:
        node, path = stack.pop()
        for target in graph.get(node, ()):
            if target == start:
                found.append([*path, target])
            elif target not in seen:
                seen.add(target)
                stack.append((target, [*path, target]))
    return found
