"""Typed result data: data classes loaded from a result's JSON and written back to it.

A capability describes its saved JSON once, as data classes in its ``model`` module; ``load``
builds them from the JSON (checking every value against the annotations) and ``dump`` turns
them back into the same JSON. Keys the classes do not name are ignored on load, so a result
saved by a newer version still loads; a missing key takes the field's default.

Supported annotations: data classes, ``list[X]``, ``tuple[X, ...]``, ``dict[str, X]``,
``X | None``, ``Literal[...]``, ``str``, ``int``, ``float``, ``bool`` and ``Any``.

A JSON key that is a Python keyword (``from``, ``with``, ``for``) is a field named with a
trailing underscore (``from_``). A key the JSON holds only sometimes is a field with
``metadata=OMIT_NONE`` and a None default: ``dump`` leaves it out while it is None.
"""

from __future__ import annotations

import dataclasses
import keyword
import types
import typing
from collections.abc import Mapping
from typing import Any, Literal, TypeVar, Union

from o365diag.errors import InputError

__all__ = ["OMIT_NONE", "ModelError", "dump", "json_key", "load", "unnamed_keys"]

T = TypeVar("T")
_NONE = type(None)
# Field metadata: the key is absent from the JSON (not null) while the field is None.
OMIT_NONE: Mapping[str, bool] = types.MappingProxyType({"omit_none": True})


class ModelError(InputError):
    """Saved data whose shape does not match the result's data classes (the path says where)."""


def load(cls: type[T], value: Any, where: str = "data") -> T:
    """An instance of the data class ``cls`` built from ``value`` (a JSON object)."""
    loaded: T = _load(cls, value, where)
    return loaded


def dump(obj: Any) -> Any:
    """The JSON-ready value of a data class tree (lists, dicts and scalars as they are)."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {
            json_key(f.name): dump(value)
            for f in dataclasses.fields(obj)
            for value in [getattr(obj, f.name)]
            if value is not None or not f.metadata.get("omit_none")
        }
    if isinstance(obj, (list, tuple)):
        return [dump(item) for item in obj]
    if isinstance(obj, Mapping):
        return {str(key): dump(item) for key, item in obj.items()}
    return obj


def json_key(name: str) -> str:
    """The JSON key of a field: ``from_`` is ``from`` (a keyword cannot name a field)."""
    if name.endswith("_") and keyword.iskeyword(name[:-1]):
        return name[:-1]
    return name


def unnamed_keys(cls: type[Any], value: Any, where: str = "data") -> list[str]:
    """The paths of keys in ``value`` that the data classes of ``cls`` do not name: what a
    model would drop on a round trip (tests use it to prove a model describes all the JSON)."""
    return _unnamed(cls, value, where)


def _unnamed(annotation: Any, value: Any, where: str) -> list[str]:
    origin = typing.get_origin(annotation)
    if origin is Union or origin is types.UnionType:
        options = [a for a in typing.get_args(annotation) if a is not _NONE]
        return _unnamed(options[0], value, where) if len(options) == 1 else []
    if origin in (list, tuple) and isinstance(value, (list, tuple)):
        item_type = typing.get_args(annotation)[0]
        return [
            p for i, item in enumerate(value) for p in _unnamed(item_type, item, f"{where}[{i}]")
        ]
    if origin is dict and isinstance(value, Mapping):
        item_type = typing.get_args(annotation)[1]
        return [p for k, item in value.items() for p in _unnamed(item_type, item, f"{where}.{k}")]
    if isinstance(annotation, type) and dataclasses.is_dataclass(annotation):
        if not isinstance(value, Mapping):
            return []
        hints = _key_hints(annotation)
        missing = [f"{where}.{key}" for key in value if key not in hints]
        named = [
            p
            for key, item in value.items()
            if key in hints
            for p in _unnamed(hints[key], item, f"{where}.{key}")
        ]
        return missing + named
    return []


_HINTS: dict[type[Any], dict[str, Any]] = {}
_KEY_HINTS: dict[type[Any], dict[str, Any]] = {}


def _hints(cls: type[Any]) -> dict[str, Any]:
    hints = _HINTS.get(cls)
    if hints is None:
        hints = _HINTS[cls] = typing.get_type_hints(cls)
    return hints


def _key_hints(cls: type[Any]) -> dict[str, Any]:
    """The annotations of ``cls`` by JSON key."""
    hints = _KEY_HINTS.get(cls)
    if hints is None:
        hints = _KEY_HINTS[cls] = {json_key(k): v for k, v in _hints(cls).items()}
    return hints


def _load(annotation: Any, value: Any, where: str) -> Any:
    if annotation is Any:
        return value
    origin = typing.get_origin(annotation)
    if origin is Union or origin is types.UnionType:
        return _load_union(typing.get_args(annotation), value, where)
    if origin is Literal:
        if value not in typing.get_args(annotation):
            raise ModelError(f"{where}: {value!r} is none of {typing.get_args(annotation)}")
        return value
    if origin in (list, tuple):
        return _load_sequence(annotation, origin, value, where)
    if origin is dict:
        return _load_mapping(typing.get_args(annotation)[1], value, where)
    if isinstance(annotation, type) and dataclasses.is_dataclass(annotation):
        return _load_dataclass(annotation, value, where)
    return _load_scalar(annotation, value, where)


def _load_union(options: tuple[Any, ...], value: Any, where: str) -> Any:
    if value is None and _NONE in options:
        return None
    errors = []
    for option in options:
        if option is _NONE:
            continue
        try:
            return _load(option, value, where)
        except ModelError as exc:
            errors.append(str(exc))
    raise ModelError(errors[0] if len(errors) == 1 else f"{where}: {value!r} fits no type")


def _load_sequence(annotation: Any, origin: type[Any], value: Any, where: str) -> Any:
    if not isinstance(value, (list, tuple)):
        raise ModelError(f"{where}: expected a list, got {_kind(value)}")
    item_type = typing.get_args(annotation)[0] if typing.get_args(annotation) else Any
    items = [_load(item_type, item, f"{where}[{i}]") for i, item in enumerate(value)]
    return tuple(items) if origin is tuple else items


def _load_mapping(item_type: Any, value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, Mapping):
        raise ModelError(f"{where}: expected an object, got {_kind(value)}")
    return {str(key): _load(item_type, item, f"{where}.{key}") for key, item in value.items()}


def _load_dataclass(cls: type[Any], value: Any, where: str) -> Any:
    if not isinstance(value, Mapping):
        raise ModelError(f"{where}: expected an object, got {_kind(value)}")
    hints = _hints(cls)
    arguments = {}
    for item in dataclasses.fields(cls):
        if not item.init:
            continue
        key = json_key(item.name)
        if key in value:
            arguments[item.name] = _load(hints[item.name], value[key], f"{where}.{key}")
        elif _has_default(item):
            continue
        elif _optional(hints[item.name]):
            arguments[item.name] = None
        else:
            raise ModelError(f"{where}: '{key}' is missing")
    return cls(**arguments)


def _has_default(item: dataclasses.Field[Any]) -> bool:
    return (
        item.default is not dataclasses.MISSING or item.default_factory is not dataclasses.MISSING
    )


def _optional(annotation: Any) -> bool:
    return typing.get_origin(annotation) in (Union, types.UnionType) and _NONE in typing.get_args(
        annotation
    )


def _load_scalar(annotation: Any, value: Any, where: str) -> Any:
    if annotation is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if annotation in (int, float) and isinstance(value, bool):
        raise ModelError(f"{where}: expected a number, got {value!r}")
    if isinstance(annotation, type) and isinstance(value, annotation):
        return value
    raise ModelError(
        f"{where}: expected {getattr(annotation, '__name__', annotation)}, got {_kind(value)}"
    )


def _kind(value: Any) -> str:
    if value is None:
        return "nothing (null)"
    if isinstance(value, Mapping):
        return "an object"
    if isinstance(value, (list, tuple)):
        return "a list"
    return repr(value)[:60]
