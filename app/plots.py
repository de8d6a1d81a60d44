"""The live plots: queue depth and unfinished tasks, join markers, completion rate, swimlanes.

All share one time axis (seconds since the run started).  Data comes from the
controller's timeline and model as numpy views; :meth:`RunPlots.redraw` is called
from one timer, at most :data:`REDRAW_HZ` times a second, and only when something
changed.  While *following*, the view shows the newest :data:`FOLLOW_WINDOW_S`; any
pan or zoom by the user stops following until they ask for it again.
"""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Signal

from app import theme
from core.model import FINAL_STATES, RunModel
from core.timeline import Timeline

REDRAW_HZ = 60
FOLLOW_WINDOW_S = 30.0
#: Most swimlane spans drawn per actor; older ones outside the view are skipped first.
MAX_SPANS_PER_LANE = 4000
LANE_HEIGHT = 0.8
AXIS_WIDTH_PX = 120
_ROLE_ORDER = {"producer": 0, "consumer": 1, "main": 2}


def _lane_order(name: str) -> tuple[int, int, str]:
    """Producers, then consumers, then main, each by number."""
    role, _, number = name.rpartition("-")
    if not role:
        role, number = name, "0"
    return _ROLE_ORDER.get(role, 3), int(number) if number.isdigit() else 0, name


class RunPlots(pg.GraphicsLayoutWidget):
    """Three stacked plots with linked x axes."""

    following_changed = Signal(bool)

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setBackground(theme.BACKGROUND)
        self.following = True
        self._lanes: list[str] = []

        self.counts = self.addPlot(row=0, col=0)
        self.counts.setLabel("left", "tasks")
        self.counts.showGrid(x=True, y=True, alpha=0.2)
        self.counts.setClipToView(True)
        self.counts.setDownsampling(auto=True, mode="peak")
        legend = self.counts.addLegend(offset=(-10, 5), brush=pg.mkBrush(255, 255, 255, 210))
        legend.setLabelTextSize(f"{theme.PLOT_FONT_PT}pt")
        self.unfinished_curve = self.counts.plot(pen=pg.mkPen(theme.UNFINISHED, width=3), stepMode="right",
                                                 name="unfinished (join() waits for 0)")
        self.depth_curve = self.counts.plot(pen=pg.mkPen(theme.DEPTH, width=3), stepMode="right",
                                            name="queue depth")
        self.band = pg.FillBetweenItem(self.unfinished_curve, self.depth_curve, brush=pg.mkBrush(*theme.IN_PROGRESS))
        self.counts.addItem(self.band)
        legend.addItem(pg.BarGraphItem(x=[0], height=[0], width=1, brush=pg.mkBrush(*theme.IN_PROGRESS)),
                       "in progress (got, not yet task_done)")
        self.join_entries = pg.ScatterPlotItem(symbol="t", size=16, brush=pg.mkBrush(theme.JOIN),
                                               pen=pg.mkPen("k"), name="join() entered")
        self.counts.addItem(self.join_entries)
        self._join_lines: list[pg.InfiniteLine] = []

        self.rate = self.addPlot(row=1, col=0)
        self.rate.setLabel("left", "done / s")
        self.rate.showGrid(x=True, y=True, alpha=0.2)
        self.rate_curve = self.rate.plot(pen=pg.mkPen(theme.RATE, width=2), stepMode="right",
                                         fillLevel=0, brush=pg.mkBrush(148, 103, 189, 60))
        self.rate.setXLink(self.counts)

        self.lanes = self.addPlot(row=2, col=0)
        self.lanes.setLabel("bottom", "seconds since start")
        self.lanes.setXLink(self.counts)
        self.lanes.setMouseEnabled(y=False)
        for plot in (self.counts, self.rate, self.lanes):
            plot.getAxis("left").setWidth(AXIS_WIDTH_PX)
        self.lane_bars = pg.BarGraphItem(x0=[], x1=[], y0=[], height=[], brushes=[])
        self.lanes.addItem(self.lane_bars)

        self.ci.layout.setRowStretchFactor(0, 5)
        self.ci.layout.setRowStretchFactor(1, 2)
        self.ci.layout.setRowStretchFactor(2, 3)
        for plot in (self.counts, self.rate, self.lanes):
            plot.getViewBox().sigRangeChangedManually.connect(self._on_user_moved_view)
            for axis in ("left", "bottom"):
                plot.getAxis(axis).setTextPen(theme.FOREGROUND)
                plot.getAxis(axis).label.setFont(_font())
        self.clear_run()

    # -- following ----------------------------------------------------------------------
    def follow(self, on: bool = True) -> None:
        if on != self.following:
            self.following = on
            self.following_changed.emit(on)

    def _on_user_moved_view(self, *args: object) -> None:
        self.follow(False)

    # -- drawing ------------------------------------------------------------------------
    def clear_run(self) -> None:
        self.depth_curve.setData([], [])
        self.unfinished_curve.setData([], [])
        self.rate_curve.setData([], [])
        self.join_entries.setData([], [])
        for line in self._join_lines:
            self.counts.removeItem(line)
        self._join_lines = []
        self._lanes = []
        self.lane_bars.setOpts(x0=[], x1=[], y0=[], height=[], brushes=[])
        self.counts.setXRange(0, 10, padding=0)
        self.follow(True)

    def redraw(self, timeline: Timeline, model: RunModel) -> None:
        self._draw_counts(timeline)
        self._draw_joins(timeline)
        starts, rates = timeline.completion_rate()
        if len(starts):
            width = starts[1] - starts[0] if len(starts) > 1 else timeline.last_t
            self.rate_curve.setData(np.append(starts, starts[-1] + width), np.append(rates, rates[-1]))
        self._draw_lanes(model)
        if self.following:
            end = max(timeline.last_t, model.last_t, 1.0)
            start = max(0.0, end - FOLLOW_WINDOW_S)
            self.counts.setXRange(start, end + 0.02 * (end - start), padding=0)

    def _draw_counts(self, timeline: Timeline) -> None:
        if not timeline.queues:
            return
        series = next(iter(timeline.queues.values()))
        t = series.column("t")
        end = max(timeline.last_t, float(t[-1]))
        x = np.append(t, end)
        depth = series.column("depth")
        unfinished = series.column("unfinished")
        self.depth_curve.setData(x, np.append(depth, depth[-1]))
        self.unfinished_curve.setData(x, np.append(unfinished, unfinished[-1]))

    def _draw_joins(self, timeline: Timeline) -> None:
        marks = [m for m in timeline.joins if m.on_queue]
        self.join_entries.setData([m.entered for m in marks], [m.unfinished_at_entry or 0 for m in marks],
                                  data=[m.actor for m in marks])
        for mark in marks[len(self._join_lines):]:
            if mark.returned is None:
                break
            if mark.released_by is None:
                text = f"{mark.actor}: join() returned at once (unfinished 0)"
                colour = theme.JOIN_EARLY
            else:
                who = f" ({mark.released_by_actor})" if mark.released_by_actor else ""
                text = f"{mark.actor} waited {mark.waited:.2f} s · released by task_done #{mark.released_by}{who}"
                colour = theme.JOIN
            line = pg.InfiniteLine(pos=mark.returned, angle=90, pen=pg.mkPen(colour, width=2, style=pg.QtCore.Qt.PenStyle.DashLine),
                                   label=text, labelOpts={"position": 0.55, "color": colour, "fill": (255, 255, 255, 200),
                                                          "anchors": [(1, 0), (1, 0)]})
            self.counts.addItem(line)
            self._join_lines.append(line)

    def _draw_lanes(self, model: RunModel) -> None:
        names = sorted(model.transitions, key=_lane_order)
        if names != self._lanes:
            self._lanes = names
            ticks = [(len(names) - 1 - i, name) for i, name in enumerate(names)]
            self.lanes.getAxis("left").setTicks([ticks])
            self.lanes.setYRange(-0.5, max(len(names), 1) - 0.5, padding=0.05)
        (view_start, view_end), _ = self.lanes.viewRange()
        x0: list[float] = []
        x1: list[float] = []
        y0: list[float] = []
        brushes: list = []
        now = model.last_t
        for row, name in enumerate(names):
            changes = model.transitions[name]
            lane_y = len(names) - 1 - row - LANE_HEIGHT / 2
            first = max(0, len(changes) - MAX_SPANS_PER_LANE)
            for index in range(first, len(changes)):
                start, state = changes[index]
                end = changes[index + 1][0] if index + 1 < len(changes) else (start if state in FINAL_STATES else now)
                if end < view_start or start > view_end:
                    continue
                x0.append(start)
                x1.append(max(end, start + 1e-3))
                y0.append(lane_y)
                brushes.append(_brush(state))
        self.lane_bars.setOpts(x0=x0, x1=x1, y0=y0, height=[LANE_HEIGHT] * len(x0), brushes=brushes, pen=None)


_brushes: dict[str, object] = {}


def _brush(state: str) -> object:
    brush = _brushes.get(state)
    if brush is None:
        brush = _brushes[state] = pg.mkBrush(theme.STATE_COLOURS.get(state, "#dddddd"))
    return brush


def _font():
    from PySide6.QtGui import QFont
    font = QFont()
    font.setPointSize(theme.PLOT_FONT_PT)
    return font
