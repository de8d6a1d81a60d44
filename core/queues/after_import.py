"""Running a patch right after a stdlib module is imported, not before.

Importing ``asyncio``, ``multiprocessing.pool`` or ``concurrent.futures`` costs a process
milliseconds; a traced program that never uses one should not pay for it.  :func:`when_imported`
runs its patch at once if the module is already loaded, and otherwise right after the
program imports it (an import hook that removes itself once it has fired).
"""
from __future__ import annotations

import importlib.abc
import sys
from collections.abc import Callable
from typing import Any


def when_imported(name: str, then: Callable[[Any], None]) -> None:
    """Call ``then(module)`` once module ``name`` is imported (now, if it already is)."""
    module = sys.modules.get(name)
    if module is not None:
        then(module)
    else:
        sys.meta_path.insert(0, _Imported(name, then))


class _Imported(importlib.abc.MetaPathFinder):
    """Runs ``then(module)`` right after module ``name`` has been executed (and removes itself)."""

    def __init__(self, name: str, then: Callable[[Any], None]) -> None:
        self._name = name
        self._then = then

    def find_spec(self, name: str, path: Any = None, target: Any = None) -> Any:
        if name != self._name:
            return None
        if self in sys.meta_path:
            sys.meta_path.remove(self)
        from importlib.machinery import PathFinder
        spec = PathFinder.find_spec(name, path)
        if spec is None or spec.loader is None:
            return spec
        loader, then = spec.loader, self._then

        class Patching(type(loader)):  # type: ignore[misc]
            def exec_module(self, module: Any) -> None:
                super().exec_module(module)
                try:
                    then(module)
                except Exception:  # observing must never change what the program's import does
                    pass

        spec.loader = Patching(loader.name, loader.path)  # type: ignore[attr-defined]
        return spec
