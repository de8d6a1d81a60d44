"""SVG of a pyqtgraph scene with pyqtgraph's own ``SVGExporter``, closed paths included.

pyqtgraph 0.14's exporter rewrites every path's coordinates and expects each token
of a path's ``d`` to be a point; the Qt 6 SVG generator ends closed shapes (the
in-progress band, the swimlane bars, the legend's swatch) with a bare ``Z``, on
which it raises (pyqtgraph issue #3495).  While exporting, each ``Z`` is given a
dummy point for the exporter to transform, then restored.
"""
from __future__ import annotations

import importlib
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pyqtgraph.exporters

# The module, not the class of the same name that ``pyqtgraph.exporters`` exports.
_svg = importlib.import_module("pyqtgraph.exporters.SVGExporter")
_CLOSE_WITH_POINT = re.compile(r"(?<![^ ])([Zz])[^ ]*")


def _paths(node: Any) -> list[Any]:
    return list(node.getElementsByTagName("path"))


@contextmanager
def _closed_paths_tolerated() -> Iterator[None]:
    original = _svg.correctCoordinates

    def correct(node: Any, defs: Any, item: Any, options: Any) -> Any:
        for path in _paths(node):
            d = path.getAttribute("d")
            if "Z" in d or "z" in d:
                path.setAttribute("d", " ".join(t + "0,0" if t in ("Z", "z") else t for t in d.split()))
        try:
            return original(node, defs, item, options)
        finally:
            for path in _paths(node):
                d = path.getAttribute("d")
                if "Z" in d or "z" in d:
                    path.setAttribute("d", _CLOSE_WITH_POINT.sub(r"\1", d))

    _svg.correctCoordinates = correct
    try:
        yield
    finally:
        _svg.correctCoordinates = original


def scene_svg(scene: Any) -> bytes:
    """The SVG text of ``scene`` (a pyqtgraph GraphicsScene), as UTF-8 bytes."""
    with _closed_paths_tolerated():
        data = pyqtgraph.exporters.SVGExporter(scene).export(toBytes=True)
    return data if isinstance(data, bytes) else str(data).encode("utf-8")
