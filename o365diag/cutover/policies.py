"""The ``graph-policies`` input: security defaults and Conditional Access policies, and whether
they already block Basic SMTP AUTH for an identity.

Read from the tenant connector's ``graph-policies.json`` (``o365diag.graph-policies/1``), from
Graph Explorer (or any Graph client) answers of the two endpoints, or from the PowerShell SDK
(``Get-MgIdentityConditionalAccessPolicy | ConvertTo-Json -Depth 10``,
``Get-MgPolicyIdentitySecurityDefaultEnforcementPolicy | ConvertTo-Json``). Property names are
matched without regard to case (the SDK writes ``ClientAppTypes``, Graph ``clientAppTypes``).

What blocks Basic SMTP AUTH comes from knowledge/graph_policies.json: a ``block`` grant, for a
client app type that covers SMTP AUTH (``other`` or ``all``), on an app that covers Exchange
Online. Whether it covers an identity: ``All`` users or the identity's object ID, minus
exclusions. Groups and roles cannot be resolved from these inputs, nor can locations,
platforms or risk: such a policy's effect on a row is ``unknown``, never guessed.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from o365diag.errors import InputError, O365DiagError
from o365diag.knowledge import load_table
from o365diag.setup.exports import ExportError, decode_export

__all__ = [
    "CaPolicy",
    "Coverage",
    "GraphPolicies",
    "PolicyInputError",
    "coverage",
    "is_policies_json",
    "merge_policies",
    "parse_policies",
]

_TABLE = "graph_policies"
_STATE_NAMES = {s.lower(): s for s in ("enabled", "disabled", "enabledForReportingButNotEnforced")}
# ConvertTo-Json writes an object it no longer descends into (beyond -Depth) as its type name.
_CUT_BY_DEPTH = "microsoft.graph."
_NARROWING = (
    "locations",
    "platforms",
    "devices",
    "clientapplications",
    "signinrisklevels",
    "userrisklevels",
    "serviceprincipalrisklevels",
    "insiderrisklevels",
    "authenticationflows",
)


class PolicyInputError(InputError):
    """A policies file that cannot be used (message names the file)."""


@dataclass(frozen=True)
class CaPolicy:
    """One Conditional Access policy, reduced to what decides its effect on SMTP AUTH."""

    id: str
    name: str
    state: str  # enabled | disabled | enabledForReportingButNotEnforced
    client_app_types: tuple[str, ...]
    include_users: tuple[str, ...]
    exclude_users: tuple[str, ...]
    include_groups: tuple[str, ...]
    exclude_groups: tuple[str, ...]
    include_roles: tuple[str, ...]
    exclude_roles: tuple[str, ...]
    include_apps: tuple[str, ...]
    exclude_apps: tuple[str, ...]
    controls: tuple[str, ...]
    narrowing: tuple[str, ...]  # conditions that limit when it applies
    changed: datetime | None = None  # modifiedDateTime, else createdDateTime

    @property
    def enforced(self) -> bool:
        return bool(_fact(f"state.{self.state}", "enforced"))

    @property
    def report_only(self) -> bool:
        return bool(_fact(f"state.{self.state}", "report_only"))

    @property
    def blocks_basic_smtp(self) -> bool:
        """A block of legacy clients (SMTP AUTH among them) on Exchange Online, in any state."""
        blocks = any(_fact(f"builtInControls.{c}", "blocks") for c in self.controls)
        legacy = any(
            _fact(f"clientAppTypes.{t}", "covers_smtp_auth") for t in self.client_app_types
        )
        exchange = any(_fact(f"application.{a}", "covers_exchange") for a in self.include_apps)
        spared = any(_fact(f"application.{a}", "covers_exchange") for a in self.exclude_apps)
        return blocks and legacy and exchange and not spared

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "state": self.state,
            "blocks_basic_smtp": self.blocks_basic_smtp,
            "client_app_types": list(self.client_app_types),
            "include_users": list(self.include_users),
            "exclude_users": list(self.exclude_users),
            "include_groups": list(self.include_groups),
            "exclude_groups": list(self.exclude_groups),
            "include_roles": list(self.include_roles),
            "exclude_roles": list(self.exclude_roles),
            "narrowing": list(self.narrowing),
        }


@dataclass(frozen=True)
class Coverage:
    """Whether one blocking policy applies to one identity: ``covered``, ``excluded``,
    ``unknown`` (with why) or ``not-covered``."""

    policy: CaPolicy
    verdict: str
    why: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "policy": self.policy.name,
            "policy_id": self.policy.id,
            "state": self.policy.state,
            "coverage": self.verdict,
            "why": self.why,
        }


@dataclass
class GraphPolicies:
    """Security defaults (None: not read, with the error) and the Conditional Access list."""

    security_defaults: bool | None = None
    security_defaults_error: str | None = None
    conditional_access: list[CaPolicy] | None = None
    conditional_access_error: str | None = None
    bad: dict[str, int] = field(default_factory=dict)  # reason -> count of unusable policies
    bad_examples: list[dict[str, Any]] = field(default_factory=list)

    @property
    def bad_count(self) -> int:
        return sum(self.bad.values())

    def blocking(self) -> list[CaPolicy]:
        """The policies that block Basic SMTP AUTH when they apply (enabled or report-only)."""
        return [
            p
            for p in self.conditional_access or []
            if p.blocks_basic_smtp and (p.enforced or p.report_only)
        ]

    def not_read(self) -> dict[str, str]:
        """Part -> why it was not read."""
        out = {}
        if self.security_defaults is None:
            out["security defaults"] = self.security_defaults_error or "not in the files given"
        if self.conditional_access is None:
            out["Conditional Access policies"] = (
                self.conditional_access_error or "not in the files given"
            )
        return out

    def bad_rows(self) -> dict[str, Any]:
        return {"count": self.bad_count, "by_reason": dict(self.bad), "examples": self.bad_examples}

    def to_dict(self) -> dict[str, Any]:
        return {
            "security_defaults": self.security_defaults,
            "conditional_access": (
                None
                if self.conditional_access is None
                else [p.to_dict() for p in self.conditional_access]
            ),
            "not_read": self.not_read(),
        }


def _fact(key: str, name: str) -> Any:
    entry = load_table(_TABLE).lookup(key)
    return entry.get(name) if entry is not None else None


# -- recognising and reading ----------------------------------------------------------------------
def _lower_keys(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k).lower(): _lower_keys(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_lower_keys(v) for v in value]
    return value


def _load_json(name: str, data: bytes) -> Any:
    try:
        text, _ = decode_export(data, name)
    except ExportError as exc:
        raise PolicyInputError(str(exc)) from None
    try:
        return json.loads(text.lstrip("\ufeff \t\r\n"))
    except (ValueError, RecursionError) as exc:
        raise PolicyInputError(f"{name}: not valid JSON ({exc})") from None


def _objects(parsed: Any) -> list[Any]:
    if isinstance(parsed, dict) and isinstance(parsed.get("value"), list):
        return list(parsed["value"])
    if isinstance(parsed, list):
        return parsed
    return [parsed]


def _is_policy(item: Any) -> bool:
    return (
        isinstance(item, dict)
        and "conditions" in item
        and ("grantcontrols" in item or "state" in item)
    )


def _is_security_defaults(item: Any, context: str = "") -> bool:
    if not isinstance(item, dict) or "isenabled" not in item or "conditions" in item:
        return False
    named = str(item.get("displayname") or "") + " " + str(item.get("description") or "")
    return "security defaults" in named.lower() or "identitysecuritydefaults" in context.lower()


def _kind_of(item: Any, context: str) -> str:
    if _is_policy(item):
        return "policy"
    if _is_security_defaults(item, context):
        return "security-defaults"
    return "other"


# Every policies file has one of these property names; a sign-in or trace download has none,
# so those (often large) files are told apart without parsing them.
_MARKERS = re.compile(r'"(?:conditions|isEnabled|schema)"\s*:', re.IGNORECASE)


def is_policies_json(name: str, data: bytes) -> bool:
    """Whether a JSON file holds security defaults or Conditional Access policies (or is the
    connector's file); mixed or bad content is still "yes", for parse_policies to explain."""
    try:
        text, _ = decode_export(data, name)
    except ExportError:
        return False
    if not _MARKERS.search(text):
        return False
    try:
        parsed = json.loads(text.lstrip("\ufeff \t\r\n"))
    except (ValueError, RecursionError):
        return False
    top = _shallow(parsed)
    if str(top.get("schema", "")).startswith("o365diag.graph-policies/"):
        return True
    context = str(top.get("@odata.context", ""))
    items = _objects(top if "value" in top else parsed)
    return any(_kind_of(_shallow(item), context) != "other" for item in items[:50])


def _shallow(value: Any) -> dict[str, Any]:
    """An object's top-level names in lower case (nested objects as they are)."""
    return {str(k).lower(): v for k, v in value.items()} if isinstance(value, dict) else {}


def parse_policies(name: str, data: bytes) -> GraphPolicies:
    """One file: the connector's, a Graph answer or a PowerShell export; PolicyInputError
    (naming the file, with counts) for mixed or unusable content."""
    raw = _load_json(name, data)
    parsed = _lower_keys(raw)
    if isinstance(parsed, dict) and "schema" in parsed:
        return _from_connector(name, parsed)
    context = str(parsed.get("@odata.context", "")) if isinstance(parsed, dict) else ""
    items = _objects(parsed)
    kinds = [_kind_of(item, context) for item in items]
    shown = _objects(raw)  # the names as written, for the message
    _refuse_mixed(name, shown if len(shown) == len(items) else items, kinds)
    result = GraphPolicies()
    defaults = [
        item for item, kind in zip(items, kinds, strict=True) if kind == "security-defaults"
    ]
    if len(defaults) > 1:
        raise PolicyInputError(f"{name}: {len(defaults)} security defaults objects; give one")
    if defaults:
        result.security_defaults = _enabled(name, defaults[0])
    policies = [item for item, kind in zip(items, kinds, strict=True) if kind == "policy"]
    if policies or (isinstance(parsed, dict) and "conditionalaccess" in context.lower()):
        result.conditional_access = _policies(name, policies, result)
    return result


def _refuse_mixed(name: str, items: list[Any], kinds: list[str]) -> None:
    others = [item for item, kind in zip(items, kinds, strict=True) if kind == "other"]
    if not others:
        return
    policies, defaults = kinds.count("policy"), kinds.count("security-defaults")
    first = others[0]
    shown = ", ".join(sorted(first)[:6]) if isinstance(first, dict) else type(first).__name__
    raise PolicyInputError(
        f"{name}: mixed content: {policies} Conditional Access policies, {defaults} security "
        f"defaults objects and {len(others)} other objects (the first has: {shown or 'nothing'});"
        " give the policies in a file of their own"
    )


def _enabled(name: str, item: Mapping[str, Any]) -> bool:
    value = item.get("isenabled")
    if isinstance(value, bool):
        return value
    if str(value).strip().lower() in ("true", "false"):
        return str(value).strip().lower() == "true"
    raise PolicyInputError(f"{name}: security defaults isEnabled is {value!r}, not true or false")


def _from_connector(name: str, document: Mapping[str, Any]) -> GraphPolicies:
    if document.get("schema") != "o365diag.graph-policies/1":
        raise PolicyInputError(f"{name}: schema {document.get('schema')!r} is not known")
    result = GraphPolicies()
    defaults = document.get("security_defaults")
    if isinstance(defaults, dict):
        result.security_defaults = _enabled(name, defaults)
    result.security_defaults_error = _error_text(document.get("security_defaults_error"))
    policies = document.get("conditional_access")
    if isinstance(policies, list):
        result.conditional_access = _policies(name, policies, result)
    result.conditional_access_error = _error_text(document.get("conditional_access_error"))
    return result


def _error_text(error: Any) -> str | None:
    if not isinstance(error, dict):
        return None
    status = error.get("status")
    said = str(error.get("detail") or error.get("code") or "refused")
    return f"Graph refused it (HTTP {status}: {said})" if status else f"Graph refused it ({said})"


def _policies(name: str, items: Iterable[Any], result: GraphPolicies) -> list[CaPolicy]:
    found = []
    for number, item in enumerate(items, start=1):
        try:
            found.append(_policy(name, item))
        except _BadPolicy as bad:
            result.bad[bad.reason] = result.bad.get(bad.reason, 0) + 1
            if len(result.bad_examples) < 5:
                result.bad_examples.append(
                    {"file": name, "row": number, "reason": bad.reason, "value": bad.value}
                )
    return found


class _BadPolicy(O365DiagError):
    """One policy that cannot be read: counted with its reason, the file goes on."""

    def __init__(self, reason: str, value: str) -> None:
        super().__init__(reason)
        self.reason, self.value = reason, value


def _policy(name: str, item: Any) -> CaPolicy:
    if not isinstance(item, dict):
        raise _BadPolicy("not a JSON object", type(item).__name__)
    label = str(item.get("displayname") or item.get("id") or "?")
    state = str(item.get("state") or "").strip().lower()
    if state not in _STATE_NAMES:
        raise _BadPolicy("state not known", f"{label}: {item.get('state')!r}")
    conditions = item.get("conditions")
    if isinstance(conditions, str) and conditions.lower().startswith(_CUT_BY_DEPTH):
        raise PolicyInputError(
            f"{name}: ConvertTo-Json cut the nested objects (its default -Depth is 2); export "
            "again with: Get-MgIdentityConditionalAccessPolicy -All | ConvertTo-Json -Depth 10"
        )
    if not isinstance(conditions, dict):
        raise _BadPolicy("no conditions object", label)
    users = _section(conditions, "users", label)
    apps = _section(conditions, "applications", label)
    grant = item.get("grantcontrols")
    controls = _strings(grant.get("builtincontrols"), label) if isinstance(grant, dict) else ()
    return CaPolicy(
        id=str(item.get("id") or ""),
        name=label,
        state=_STATE_NAMES[state],
        client_app_types=_strings(conditions.get("clientapptypes"), label),
        include_users=_strings(users.get("includeusers"), label),
        exclude_users=_strings(users.get("excludeusers"), label),
        include_groups=_strings(users.get("includegroups"), label),
        exclude_groups=_strings(users.get("excludegroups"), label),
        include_roles=_strings(users.get("includeroles"), label),
        exclude_roles=_strings(users.get("excluderoles"), label),
        include_apps=_strings(apps.get("includeapplications"), label),
        exclude_apps=_strings(apps.get("excludeapplications"), label),
        controls=controls,
        narrowing=tuple(c for c in _NARROWING if _narrows(c, conditions.get(c))),
        changed=_instant(item.get("modifieddatetime") or item.get("createddatetime")),
    )


def _instant(value: Any) -> datetime | None:
    """A Graph or PowerShell timestamp (ISO 8601; the SDK writes no zone: UTC)."""
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _section(conditions: Mapping[str, Any], key: str, label: str) -> Mapping[str, Any]:
    value = conditions.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise _BadPolicy(f"conditions.{key} is not an object", label)
    return value


def _strings(value: Any, label: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):  # PowerShell writes a one-item array as the item itself
        return (value,)
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise _BadPolicy("a list of names is not a list of strings", label)
    return tuple(value)


def _narrows(condition: str, value: Any) -> bool:
    """Whether a condition limits when the policy applies ("All" locations or platforms with
    nothing excluded does not)."""
    if value in (None, "", [], {}):
        return False
    if isinstance(value, list):
        return not all(str(v).lower() in ("none", "all") for v in value)
    if isinstance(value, dict):
        if condition == "authenticationflows":
            return bool(value.get("transfermethods"))
        included = [str(v).lower() for v in value.get("includelocations") or []]
        included += [str(v).lower() for v in value.get("includeplatforms") or []]
        excluded = [
            v for k, v in value.items() if k.startswith("exclude") and v not in (None, [], {}, "")
        ]
        other = [
            k
            for k, v in value.items()
            if not k.startswith(("include", "exclude", "@odata", "additionalproperties"))
            and v not in (None, [], {}, "")
        ]
        return bool(excluded or other or (included and included != ["all"]))
    return True


def merge_policies(parts: list[tuple[str, GraphPolicies]]) -> GraphPolicies:
    """Several files into one; PolicyInputError when two disagree on security defaults."""
    merged = GraphPolicies()
    seen: dict[str, CaPolicy] = {}
    defaults_from = ""
    for name, part in parts:
        if part.security_defaults is not None:
            if merged.security_defaults not in (None, part.security_defaults):
                raise PolicyInputError(
                    f"{defaults_from} and {name} disagree on security defaults (on in one, off "
                    "in the other); give the newer file only"
                )
            merged.security_defaults, defaults_from = part.security_defaults, name
        elif merged.security_defaults is None:
            merged.security_defaults_error = (
                merged.security_defaults_error or part.security_defaults_error
            )
        if part.conditional_access is not None:
            for policy in part.conditional_access:
                seen[policy.id or f"{name}#{len(seen)}"] = policy
        else:
            merged.conditional_access_error = (
                merged.conditional_access_error or part.conditional_access_error
            )
        for reason, count in part.bad.items():
            merged.bad[reason] = merged.bad.get(reason, 0) + count
        merged.bad_examples += part.bad_examples[: 5 - len(merged.bad_examples)]
    if merged.security_defaults is not None:
        merged.security_defaults_error = None
    if any(p.conditional_access is not None for _, p in parts):
        merged.conditional_access = list(seen.values())
        merged.conditional_access_error = None
    return merged


# -- the effect on one identity -------------------------------------------------------------------
def coverage(policy: CaPolicy, ids: set[str]) -> Coverage:
    """Whether ``policy`` (one that blocks Basic SMTP AUTH) applies to the identity whose
    directory object IDs and address are ``ids`` (lower case)."""
    include = {u.lower() for u in policy.include_users}
    exclude = {u.lower() for u in policy.exclude_users}
    known_id = any("@" not in i for i in ids)
    if ids & exclude:
        return Coverage(policy, "excluded", "excluded by name (excludeUsers)")
    named = bool(ids & include)
    if not named and "all" not in include:
        return _outside(policy, known_id, include)
    doubts = []
    if not named and exclude and not known_id:
        doubts.append("it excludes users by object ID and the identity's ID is not known")
    if policy.exclude_groups or policy.exclude_roles:
        doubts.append("it excludes groups or roles o365diag cannot resolve")
    if policy.narrowing:
        doubts.append("it applies only under conditions: " + ", ".join(policy.narrowing))
    if doubts:
        return Coverage(policy, "unknown", "; ".join(doubts))
    return Coverage(policy, "covered", "included by name" if named else "applies to all users")


def _outside(policy: CaPolicy, known_id: bool, include: set[str]) -> Coverage:
    if policy.include_groups or policy.include_roles:
        why = "it targets groups or roles o365diag cannot resolve"
        if policy.narrowing:
            why += "; and applies only under conditions: " + ", ".join(policy.narrowing)
        return Coverage(policy, "unknown", why)
    if include - {"none", "guestsorexternalusers"} and not known_id:
        return Coverage(
            policy, "unknown", "it names users by object ID and the identity's ID is not known"
        )
    return Coverage(policy, "not-covered", "not among the users it targets")
