"""Lazy package exports: a name is imported from its submodule on first use.

This is what keeps ``import o365diag`` and ``o365diag --help`` light: a package's
``__init__`` lists where each public name lives and imports nothing heavy itself.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["lazy_getattr"]


def lazy_getattr(package: str, homes: Mapping[str, str]) -> Callable[[str], Any]:
    """A module ``__getattr__`` for ``package``; ``homes`` maps a name to its submodule.

    A home is a submodule name relative to the package (``"probe"``) or a full module path.
    """

    def __getattr__(name: str) -> Any:
        home = homes.get(name)
        if home is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        module = home if "." in home else f"{package}.{home}"
        return getattr(importlib.import_module(module), name)

    return __getattr__
