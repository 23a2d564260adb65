"""The typed data layer: JSON in, data classes out, and the same JSON back."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

import pytest

from o365diag.capabilities import CAPABILITIES, load_object
from o365diag.errors import InputError
from o365diag.result import Result
from o365diag.typed import ModelError, dump, load, unnamed_keys


@dataclass
class Hop:
    host: str
    delay: float | None = None


@dataclass
class Sample:
    name: str
    state: Literal["on", "off"]
    hops: list[Hop] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    pair: tuple[int, ...] = ()
    note: str | None = None
    extra: Any = None


GOOD = {
    "name": "a",
    "state": "on",
    "hops": [{"host": "mx.example.com", "delay": 2}, {"host": "b.example"}],
    "counts": {"x": 1},
    "pair": [1, 2],
    "extra": {"free": ["form"]},
}


def test_load_builds_nested_classes_and_fills_defaults() -> None:
    sample = load(Sample, GOOD)
    assert sample.hops[0] == Hop("mx.example.com", 2.0)
    assert isinstance(sample.hops[0].delay, float)
    assert sample.hops[1].delay is None
    assert sample.pair == (1, 2)
    assert sample.note is None
    assert sample.extra == {"free": ["form"]}


def test_dump_gives_back_the_json_with_defaults_spelled_out() -> None:
    back = dump(load(Sample, GOOD))
    assert back["hops"][0] == {"host": "mx.example.com", "delay": 2.0}
    assert back["hops"][1] == {"host": "b.example", "delay": None}
    assert back["pair"] == [1, 2]
    assert json.loads(json.dumps(back)) == back


def test_unknown_keys_are_ignored_so_newer_saves_still_load() -> None:
    assert load(Sample, {**GOOD, "added_later": 1}).name == "a"


def test_unnamed_keys_lists_what_a_round_trip_would_drop() -> None:
    assert unnamed_keys(Sample, GOOD) == []
    odd = {**GOOD, "later": 1, "hops": [{"host": "x", "ttl": 3}]}
    assert unnamed_keys(Sample, odd) == ["data.later", "data.hops[0].ttl"]


@pytest.mark.parametrize(
    ("change", "where"),
    [
        ({"name": 5}, "data.name"),
        ({"state": "maybe"}, "data.state"),
        ({"hops": {"host": "x"}}, "data.hops"),
        ({"hops": [{"delay": 1}]}, "data.hops[0]: 'host' is missing"),
        ({"hops": [{"host": "x", "delay": "slow"}]}, "data.hops[0].delay"),
        ({"counts": {"x": True}}, "data.counts.x"),
    ],
)
def test_a_wrong_shape_names_where(change: dict[str, Any], where: str) -> None:
    with pytest.raises(ModelError, match=where.replace("[", r"\[").replace("]", r"\]")):
        load(Sample, {**GOOD, **change})


def test_a_missing_required_key_is_an_input_error() -> None:
    with pytest.raises(InputError, match="'state' is missing"):
        load(Sample, {"name": "a"})


@dataclass
class SampleResult(Result):
    SCHEMA: ClassVar[str] = "o365diag.sample/1"
    MODEL: ClassVar[type[Any] | None] = Sample


def test_a_result_round_trips_through_its_model() -> None:
    result = SampleResult.from_model(load(Sample, GOOD))
    assert result.schema == "o365diag.sample/1"
    again = SampleResult.from_dict(json.loads(result.to_json()))
    assert again.typed(Sample) == result.typed(Sample)
    assert again.check_model() is None


def test_a_result_saved_with_another_shape_says_why() -> None:
    result = SampleResult.from_dict({"schema": "o365diag.sample/1", "name": 3})
    assert "name: expected str" in (result.check_model() or "")


def test_from_model_refuses_another_class() -> None:
    with pytest.raises(TypeError):
        SampleResult.from_model(Hop("x"))


def _registered_results() -> list[type[Result]]:
    found = []
    for cap in CAPABILITIES:
        for target in cap.results.values():
            found.append(load_object(cap.qualified(target)))
    return found


@pytest.mark.parametrize("result_type", _registered_results(), ids=lambda t: t.__name__)
def test_every_registered_result_declares_its_data_classes(result_type: type[Result]) -> None:
    model = result_type.MODEL
    assert model is not None, f"{result_type.__name__} has no MODEL"
    from dataclasses import is_dataclass

    assert is_dataclass(model)
