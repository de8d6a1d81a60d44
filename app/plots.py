"""The live plots: queue depth and unfinished tasks, join markers, completion rate, swimlanes.

All share one time axis (seconds since the run started).  Data comes from the
controller's timeline and model as numpy views; :meth:`RunPlots.redraw` is called
from one timer, at most :data:`REDRAW_HZ` times a second, and only when something
changed.  While *following*, the view shows the newest :data:`FOLLOW_WINDOW_S`; any
pan or zoom by the user stops following until they ask for it again.
"""
from __future__ import annotations

from bisect import bisect_right

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Signal
from PySide6.QtGui import QPainterPath
from PySide6.QtWidgets import QGraphicsPathItem

from app import theme
from core.model import FINAL_STATES, STATE_CODES, STATES, RunModel, lane_order
from core.narrate import seconds_text
from core.timeline import Timeline

REDRAW_HZ = 60
FOLLOW_WINDOW_S = 30.0
#: While following, the share of the view kept free on the right for new data.
FOLLOW_MARGIN = 0.2
#: Most swimlane spans drawn per actor: the newest; at rates where more would fit the
#: view they are narrower than a pixel, and drawing them would cost frames.
MAX_SPANS_PER_LANE = 200
LANE_HEIGHT = 0.8
#: The most points a count curve gets; past that, a run is drawn in bins (see visible_steps).
MAX_CURVE_POINTS = 1500
AXIS_WIDTH_PX = 120


class RunPlots(pg.GraphicsLayoutWidget):
    """Three stacked plots with linked x axes."""

    following_changed = Signal(bool)
    #: The user panned or zoomed: what is visible must be drawn again.
    view_moved = Signal()

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setBackground(theme.BACKGROUND)
        self.following = True
        self._lanes: list[str] = []

        self.counts = self.addPlot(row=0, col=0)
        self.counts.setLabel("left", "tasks")
        legend = self.counts.addLegend(offset=(-10, 5), brush=pg.mkBrush(255, 255, 255, 210))
        legend.setLabelTextSize(f"{theme.PLOT_FONT_PT}pt")
        self.unfinished_curve = self.counts.plot(pen=pg.mkPen(theme.UNFINISHED, width=3), stepMode="right",
                                                 name="unfinished (join() waits for 0)")
        self.depth_curve = self.counts.plot(pen=pg.mkPen(theme.DEPTH, width=3), stepMode="right",
                                            name="queue depth")
        self.band = QGraphicsPathItem()
        self.band.setBrush(pg.mkBrush(*theme.IN_PROGRESS))
        self.band.setPen(pg.mkPen(None))
        self.band.setZValue(-1)
        self.counts.addItem(self.band)
        legend.addItem(pg.BarGraphItem(x=[0], height=[0], width=1, brush=pg.mkBrush(*theme.IN_PROGRESS)),
                       "in progress (got, not yet task_done)")
        self.join_entries = pg.ScatterPlotItem(symbol="t", size=16, brush=pg.mkBrush(theme.JOIN),
                                               pen=pg.mkPen("k"), name="join() entered")
        self.counts.addItem(self.join_entries)
        self._join_lines: list[pg.InfiniteLine] = []

        self.rate = self.addPlot(row=1, col=0)
        self.rate.setLabel("left", "done / s")
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
        self.view_moved.emit()

    # -- drawing ------------------------------------------------------------------------
    def clear_run(self) -> None:
        self.band.setPath(QPainterPath())
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
            self._follow_to(max(timeline.last_t, model.last_t))

    def _follow_to(self, end: float) -> None:
        """Keep ``end`` in view, moving the view in steps rather than every frame: a new
        x range re-lays out all three plots' axes, which costs more than the data."""
        (view_start, view_end), _ = self.counts.viewRange()
        if view_start <= end <= view_end - FOLLOW_MARGIN * (view_end - view_start) / 2:
            return
        if end <= FOLLOW_WINDOW_S * (1 - FOLLOW_MARGIN):
            start, stop = 0.0, max(1.0, end / (1 - FOLLOW_MARGIN))
        else:
            start = end - FOLLOW_WINDOW_S * (1 - FOLLOW_MARGIN)
            stop = start + FOLLOW_WINDOW_S
        self.counts.setXRange(start, min(stop, FOLLOW_WINDOW_S) if start == 0.0 else stop, padding=0)

    def fit(self, end: float) -> None:
        """Show the whole run, 0 to ``end`` (a finished run, while following)."""
        if self.following:
            self.counts.setXRange(0.0, max(end, 0.1) * 1.02, padding=0)

    def _draw_counts(self, timeline: Timeline) -> None:
        if not timeline.queues:
            return
        series = next(iter(timeline.queues.values()))
        t = series.column("t")
        end = max(timeline.last_t, float(t[-1]))
        (view_start, view_end), _ = self.counts.viewRange()
        if self.following:
            view_start, view_end = max(0.0, end - FOLLOW_WINDOW_S), end
        x, depth, unfinished = visible_steps(t, series.column("depth"), series.column("unfinished"),
                                             view_start, view_end, end, MAX_CURVE_POINTS)
        self.depth_curve.setData(x, depth)
        self.unfinished_curve.setData(x, unfinished)
        self.band.setPath(band_path(x, depth, unfinished))

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
                text = f"{mark.actor} waited {seconds_text(mark.waited)} · released by task_done #{mark.released_by}{who}"
                colour = theme.JOIN
            line = pg.InfiniteLine(pos=mark.returned, angle=90, pen=pg.mkPen(colour, width=2, style=pg.QtCore.Qt.PenStyle.DashLine),
                                   label=text, labelOpts={"position": 0.55, "color": colour, "fill": (255, 255, 255, 200),
                                                          "anchors": [(1, 0), (1, 0)]})
            self.counts.addItem(line)
            self._join_lines.append(line)

    def _draw_lanes(self, model: RunModel) -> None:
        names = sorted(model.transitions, key=lane_order)
        if names != self._lanes:
            self._lanes = names
            ticks = [(len(names) - 1 - i, name) for i, name in enumerate(names)]
            self.lanes.getAxis("left").setTicks([ticks])
            self.lanes.setYRange(-0.5, max(len(names), 1) - 0.5, padding=0.05)
        (view_start, view_end), _ = self.lanes.viewRange()
        starts, ends, bottoms, brushes = [], [], [], []
        now = model.last_t
        for row, name in enumerate(names):
            times, codes = model.transitions[name]
            # The changes that can show in the view: from the one in force at its left edge.
            first = max(bisect_right(times, view_start) - 1, 0, len(times) - MAX_SPANS_PER_LANE)
            last = bisect_right(times, view_end)
            if first >= last:
                continue
            lane_codes = codes[first:last]
            lane_starts = np.array(times[first:last], dtype=np.float64)
            following = times[last] if last < len(times) else (lane_starts[-1] if lane_codes[-1] in _FINAL else now)
            lane_ends = np.append(lane_starts[1:], following)
            starts.append(lane_starts)
            ends.append(np.maximum(lane_ends, lane_starts + 1e-3))
            bottoms.append(np.full(len(lane_starts), len(names) - 1 - row - LANE_HEIGHT / 2))
            brushes += [_BRUSHES[code] for code in lane_codes]
        if not starts:
            self.lane_bars.setOpts(x0=[], x1=[], y0=[], height=[], brushes=[])
            return
        x0 = np.concatenate(starts)
        self.lane_bars.setOpts(x0=x0, x1=np.concatenate(ends), y0=np.concatenate(bottoms),
                               height=np.full(len(x0), LANE_HEIGHT), brushes=brushes, pen=None)


def visible_steps(t: np.ndarray, low: np.ndarray, high: np.ndarray, start: float, stop: float, end: float,
                  most: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The part of two step series (sampled at ``t``) that the view shows, at most
    about ``most`` points: a long run is cut into bins, each drawn as its minimum of
    ``low`` and maximum of ``high``, so every peak and dip stays visible while the
    curves and the band between them cost the same to paint however long the run."""
    first = max(int(np.searchsorted(t, start, side="right")) - 1, 0)
    last = int(np.searchsorted(t, stop, side="right"))
    t, low, high = t[first:last], low[first:last], high[first:last]
    count = len(t)
    if count > most:
        size = -(-count // most)
        bins = count // size
        cut = bins * size
        starts = t[:cut:size]
        lows = low[:cut].reshape(bins, size).min(axis=1)
        highs = high[:cut].reshape(bins, size).max(axis=1)
        t = np.concatenate([starts, t[cut:]])
        low = np.concatenate([lows, low[cut:]])
        high = np.concatenate([highs, high[cut:]])
    if not len(t):
        return t, low, high
    return np.append(t, end), np.append(low, low[-1]), np.append(high, high[-1])


def band_path(x: np.ndarray, low: np.ndarray, high: np.ndarray) -> QPainterPath:
    """The closed outline between two step curves over ``x`` (the tasks in progress).

    Built from arrays in one go; pyqtgraph's FillBetweenItem rebuilds its path from
    both curves' paths on every change of either, which costs a frame at high rates."""
    if len(x) < 2:
        return QPainterPath()
    step_x = np.repeat(x, 2)[1:-1]
    upper = np.repeat(high, 2)[:-2]
    lower = np.repeat(low, 2)[:-2]
    outline_x = np.concatenate([step_x, step_x[::-1]])
    outline_y = np.concatenate([upper, lower[::-1]]).astype(np.float64)
    path = pg.arrayToQPath(outline_x, outline_y, connect="all")
    path.closeSubpath()
    return path


_BRUSHES = [pg.mkBrush(theme.STATE_COLOURS.get(state, "#dddddd")) for state in STATES]
_FINAL = {STATE_CODES[state] for state in FINAL_STATES}


def _font():
    from PySide6.QtGui import QFont
    font = QFont()
    font.setPointSize(theme.PLOT_FONT_PT)
    return font
