"""The plots as a picture to keep: a PNG or an SVG with a heading, both legends and the whole run.

The window's plots show what the user has panned to, at the size the window happens to
have, with their legends outside them; a picture of that (pyqtgraph's exporters draw the
scene as it is) is a bare strip of the last 30 s.  An export is drawn on a page of its own
instead — a heading (what ran, on what, how long, when), the counts legend, the three
plots over the whole run, the swimlanes' legend — at :data:`PAGE_SIZE_PX`, whatever the
window's size, by a second :class:`~app.plots.run_plots.RunPlots` fed the same timeline and
model.  The window's own plots are never touched: what the user sees stays as it was.

The page is laid out as a widget that is never shown on screen, then grabbed (PNG) or
painted into Qt's SVG generator (SVG: text stays text, curves stay curves; the swimlanes
are an image in it, as they are on screen).
"""
from __future__ import annotations

import html
import os
from dataclasses import dataclass

import shiboken6
from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QPoint, QRect, QSize, Qt
from PySide6.QtGui import QImage, QImageWriter, QPainter
from PySide6.QtSvg import QSvgGenerator
from PySide6.QtWidgets import QGraphicsView, QLabel, QVBoxLayout, QWidget

from app import theme
from app.plots.run_plots import RunPlots
from app.widgets import counts_legend_text, lane_legend
from core.analysis.model import RunModel
from core.analysis.timeline import Timeline
from core.analysis.units import TimeUnit
from core.recordings.outputs import replacing

#: The page an export is drawn on (logical pixels): wide enough for both legends to read
#: in two lines, tall enough for every lane of a busy run.  (A scaled application draws it
#: that much bigger, as it does the window.)
PAGE_SIZE_PX = (1600, 1000)
#: The heading's first line, larger than the rest (points).
HEADING_PT = 16


@dataclass(frozen=True)
class RunPicture:
    """What an export draws: the run's counts and states, in ``unit``, up to ``now`` (a live
    run's clock; ``None`` for a run that is over), under ``title`` and ``details``."""

    timeline: Timeline
    model: RunModel
    unit: TimeUnit
    now: float | None
    title: str
    details: str


def save_image(image: QImage, path: str) -> None:
    """Write ``image`` to ``path`` in the format its suffix names (PNG when Qt writes no such
    format, or there is none), replacing it only once it is whole; an :class:`OSError` says why not."""
    suffix = os.path.splitext(path)[1].lstrip(".").lower()
    writable = {bytes(name.data()).decode().lower() for name in QImageWriter.supportedImageFormats()}
    kind = suffix if suffix in writable and suffix != "svg" else "png"
    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    if not image.save(buffer, kind.upper()):
        raise OSError(f"the picture could not be encoded as {kind.upper()}")
    with replacing(path, "wb") as out:
        out.write(bytes(buffer.data().data()))


def save_png(picture: RunPicture, path: str) -> None:
    """``picture``'s page as an image at ``path`` (see :func:`save_image` for the format)."""
    page = ExportPage(picture)
    try:
        save_image(page.grab().toImage(), path)
    finally:
        page.discard()


def save_svg(picture: RunPicture, path: str) -> None:
    """``picture``'s page as an SVG drawing at ``path``."""
    page = ExportPage(picture)
    try:
        data = QByteArray()
        buffer = QBuffer(data)
        buffer.open(QIODevice.OpenModeFlag.WriteOnly)
        generator = QSvgGenerator()
        generator.setOutputDevice(buffer)
        size = page.size()
        generator.setSize(size)
        generator.setViewBox(QRect(0, 0, size.width(), size.height()))
        generator.setTitle(picture.title)
        generator.setDescription(picture.details)
        painter = QPainter(generator)
        try:
            page.render(painter, QPoint())
        finally:
            painter.end()
        buffer.close()
    finally:
        page.discard()
    with replacing(path, "wb") as out:
        out.write(bytes(data.data()))


class ExportPage(QWidget):
    """The heading, the legends and a second set of plots showing the whole run, laid out at
    :data:`PAGE_SIZE_PX` and never shown on screen."""

    def __init__(self, picture: RunPicture) -> None:
        super().__init__()
        self.setAttribute(Qt.WidgetAttribute.WA_DontShowOnScreen)
        background, foreground = theme.scheme().background, theme.scheme().foreground  # as the window shows them
        self.setObjectName("export-page")
        self.setStyleSheet(f"#export-page, #export-page QLabel {{ background: {background}; color: {foreground}; }}")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 12, 16, 12)
        heading = QLabel(f'<div style="font-size:{HEADING_PT}pt; font-weight:bold;">{html.escape(picture.title)}</div>'
                         f"<div>{html.escape(picture.details)}</div>")
        heading.setObjectName("export-heading")
        heading.setWordWrap(True)
        legend = QLabel(counts_legend_text(picture.unit))
        legend.setWordWrap(True)
        self.plots = RunPlots()
        # Painted afresh into the picture: a cached background would be an image in the SVG.
        self.plots.setCacheMode(QGraphicsView.CacheModeFlag.CacheNone)
        layout.addWidget(heading)
        layout.addWidget(legend)
        layout.addWidget(self.plots, 1)
        layout.addWidget(lane_legend())
        self.resize(QSize(*PAGE_SIZE_PX))
        self.show()  # laid out at its size (WA_DontShowOnScreen: nothing appears)
        self.plots.ci.layout.activate()
        self.plots.clear_run(picture.unit)
        self.plots.redraw(picture.timeline, picture.model, picture.now)
        self.plots.show_all()

    def discard(self) -> None:
        """Gone now, not at the next turn of the event loop (a script exporting with no loop
        running would otherwise leave it to the interpreter's exit, which can crash on it)."""
        self.hide()
        shiboken6.delete(self)
