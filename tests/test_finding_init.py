"""Finding's written-out __init__ behaves as the one dataclass would generate: the same
signature, the same stored fields for every way of calling it, the same errors, and the class
stays frozen, comparable, hashable, replaceable, copyable and picklable."""

from __future__ import annotations

import copy
import dataclasses
import inspect
import itertools
import pickle
from typing import Any

import pytest

from o365diag.findings import Finding, Severity, catalogue_finding


def _generated_twin() -> type:
    """A frozen dataclass with Finding's fields and the __init__ dataclass writes."""
    fields: list[Any] = []
    for found in dataclasses.fields(Finding):
        if found.default is dataclasses.MISSING:
            fields.append((found.name, found.type))
        else:
            fields.append((found.name, found.type, dataclasses.field(default=found.default)))
    return dataclasses.make_dataclass("Finding", fields, frozen=True)


TWIN = _generated_twin()


def _parameters(cls: type) -> list[tuple[str, Any, Any]]:
    return [(p.name, p.kind, p.default) for p in inspect.signature(cls).parameters.values()]


def test_the_signature_is_the_generated_one() -> None:
    assert _parameters(Finding) == _parameters(TWIN)
    assert [f.name for f in dataclasses.fields(Finding)] == [p[0] for p in _parameters(Finding)]


_VALUES = {
    "code": "spf-fail",
    "severity": Severity.ERROR,
    "title": "SPF failed",
    "detail": "The sending IP is not listed.",
    "fix": "Add the IP to the SPF record.",
    "evidence": ("Received-SPF: Fail", "Authentication-Results: spf=fail"),
    "references": ("https://example.com/spf",),
}


def _calls() -> list[tuple[tuple[Any, ...], dict[str, Any]]]:
    """Every way to pass the fields: n positional, then any subset of the rest by keyword."""
    names = list(_VALUES)
    calls = []
    for count in range(len(names) + 1):
        rest = names[count:]
        for size in range(len(rest) + 1):
            for chosen in itertools.combinations(rest, size):
                args = tuple(_VALUES[n] for n in names[:count])
                calls.append((args, {n: _VALUES[n] for n in chosen}))
    return calls


def test_every_call_stores_what_the_generated_init_stores() -> None:
    made = 0
    for args, kwargs in _calls():
        try:
            expected = TWIN(*args, **kwargs)
        except TypeError as error:
            with pytest.raises(TypeError):
                Finding(*args, **kwargs)
            assert "missing" in str(error)
            continue
        found = Finding(*args, **kwargs)
        assert vars(found) == vars(expected)
        assert dataclasses.astuple(found) == dataclasses.astuple(expected)
        made += 1
    assert made > 60


def test_wrong_calls_raise_as_the_generated_init_does() -> None:
    for args, kwargs in [
        (("a", Severity.OK), {}),
        (("a", Severity.OK, "t", "d", "f", (), (), "extra"), {}),
        (("a", Severity.OK, "t"), {"colour": "red"}),
        (("a", Severity.OK, "t"), {"code": "b"}),
    ]:
        with pytest.raises(TypeError):
            TWIN(*args, **kwargs)
        with pytest.raises(TypeError):
            Finding(*args, **kwargs)


def test_a_finding_stays_frozen_comparable_and_hashable() -> None:
    finding = Finding(**_VALUES)
    for name in _VALUES:
        with pytest.raises(dataclasses.FrozenInstanceError):
            setattr(finding, name, "changed")
        with pytest.raises(dataclasses.FrozenInstanceError):
            delattr(finding, name)
    assert finding == Finding(**_VALUES)
    assert hash(finding) == hash(Finding(**_VALUES))
    assert len({finding, Finding(**_VALUES)}) == 1
    for name in _VALUES:
        other = {**_VALUES, name: Severity.INFO if name == "severity" else ("other",)}
        assert Finding(**other) != finding
    assert repr(finding).replace("Finding", "") == repr(TWIN(**_VALUES)).replace("Finding", "")


def test_replace_copy_and_pickle_keep_every_field() -> None:
    finding = Finding(**_VALUES)
    changed = dataclasses.replace(finding, fix="Another fix.")
    assert vars(changed) == {**_VALUES, "fix": "Another fix."}
    assert pickle.loads(pickle.dumps(finding)) == finding
    assert copy.copy(finding) == finding == copy.deepcopy(finding)
    assert Finding.from_dict(finding.to_dict()) == finding


def test_catalogue_findings_are_built_as_before() -> None:
    built = catalogue_finding(
        "header_findings", "no-auth-results", evidence=["From: a@example.com"]
    )
    twin = TWIN(**vars(built))
    assert dataclasses.astuple(built) == dataclasses.astuple(twin)
