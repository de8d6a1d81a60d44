"""The walls of the house, checked where an import graph cannot see them: what a module
loads when it is imported.  (The layers themselves are import-linter contracts in
``pyproject.toml``, which ``.ci/run`` checks with ``lint-imports``.)"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
QT = ("PySide6", "pyqtgraph", "PyQt5", "PyQt6", "shiboken6")

pytestmark = pytest.mark.timeout(120)


def _loaded_after_importing(package: str, skip: tuple[str, ...] = ()) -> tuple[int, list[str]]:
    """Import every module of ``package`` in a fresh interpreter: how many, and which Qt modules came with them."""
    code = (f"import importlib, pkgutil, sys, {package}\n"
            f"names = [m.name for m in pkgutil.walk_packages({package}.__path__, '{package}.')\n"
            f"         if not m.name.startswith({skip!r} or ('\\0',))]\n"
            "for name in names: importlib.import_module(name)\n"
            f"print(len(names)); print(' '.join(m for m in sys.modules if m.split('.')[0] in {QT!r}))")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    count, qt = result.stdout.splitlines()
    return int(count), qt.split()


def test_core_never_imports_qt():
    modules, qt = _loaded_after_importing("core")
    assert modules >= 60, "every subpackage is walked"
    assert not qt, qt
    for path in (ROOT / "core").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert "PySide6" not in text and "pyqtgraph" not in text, path


def test_the_command_line_loads_no_qt_until_a_window_opens():
    """``joinscope run``, ``trace --no-gui``, ``export``: none of them may need a display, or
    pay for loading Qt; the window is imported by the command that opens it."""
    modules, qt = _loaded_after_importing("app.cli")
    assert modules >= 8
    assert not qt, qt


def test_every_subpackage_says_what_it_is_for():
    for init in [*(ROOT / "core").rglob("__init__.py"), *(ROOT / "app").rglob("__init__.py")]:
        text = init.read_text(encoding="utf-8")
        assert text.startswith('"""'), init
        first_line = text[3:].splitlines()[0].removesuffix('"""')
        assert first_line.endswith("."), f"{init}: {first_line!r}"
