"""Package-level names imported on first use (PEP 562).

A package ``__init__`` that re-exported everything eagerly would make
``import vminv.rhev.reconcile`` (pure) load the HTTP client, and
``import vminv.inventory.plan`` (pure) load SQLite: importing a submodule always
runs its package's ``__init__`` first. Re-exports therefore resolve lazily.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any


def lazy_exports(package: str, exports: Mapping[str, str]) -> Callable[[str], Any]:
    """A module ``__getattr__`` that imports ``exports[name]`` (a module) and returns its ``name``."""

    def __getattr__(name: str) -> Any:
        module = exports.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        return getattr(importlib.import_module(module), name)

    return __getattr__
