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
from PySide6.QtCore import QRectF, Signal
from PySide6.QtGui import QPainterPath
from PySide6.QtWidgets import QGraphicsPathItem

from app import theme
from app.plots.lanes import lanes_image
from core.analysis.model import RunModel, lane_order
from core.analysis.timeline import Timeline

REDRAW_HZ = 60
FOLLOW_WINDOW_S = 30.0
#: While following, the share of the view kept free on the right for new data.
FOLLOW_MARGIN = 0.2
#: The most points a count curve gets; past that, a run is drawn in bins (see visible_steps).
MAX_CURVE_POINTS = 600
AXIS_WIDTH_PX = 120
#: Join returns drawn as labelled lines at most (the newest): every triangle stays.
MAX_JOIN_LINES = 60
#: Room kept above the highest count for the join labels, as a share of it.
LABEL_HEADROOM = 0.3


class RunPlots(pg.GraphicsLayoutWidget):
    """Three stacked plots with linked x axes."""

    following_changed = Signal(bool)
    #: The user panned or zoomed: what is visible must be drawn again.
    view_moved = Signal()
    #: The user clicked an actor's swimlane (its name).
    lane_clicked = Signal(str)

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setBackground(theme.BACKGROUND)
        self.following = True
        self._lanes: list[str] = []
        self._count_top = 0.0
        #: The model last drawn (the lanes are drawn again for a new range), and the live clock then.
        self._model: RunModel | None = None
        self._now: float | None = None

        self.counts = self.addPlot(row=0, col=0)
        self.counts.setLabel("left", "tasks")
        self.unfinished_curve = self.counts.plot(pen=pg.mkPen(theme.UNFINISHED, width=3), stepMode="right")
        self.depth_curve = self.counts.plot(pen=pg.mkPen(theme.DEPTH, width=3), stepMode="right")
        self.band = QGraphicsPathItem()
        self.band.setBrush(pg.mkBrush(*theme.IN_PROGRESS))
        self.band.setPen(pg.mkPen(None))
        self.band.setZValue(-1)
        self.counts.addItem(self.band)
        self.join_entries = pg.ScatterPlotItem(symbol="t", size=16, brush=pg.mkBrush(theme.JOIN),
                                               pen=pg.mkPen("k"))
        self.counts.addItem(self.join_entries)
        self._join_lines: list[pg.InfiniteLine] = []
        self._joins_drawn = 0

        self.rate = self.addPlot(row=1, col=0)
        self.rate.setLabel("left", "done / s")
        self.rate_curve = self.rate.plot(pen=pg.mkPen(theme.RATE, width=2), stepMode="right",
                                         fillLevel=0, brush=pg.mkBrush(148, 103, 189, 60))
        self.rate.setXLink(self.counts)

        self.lanes = self.addPlot(row=2, col=0)
        self.lanes.setLabel("bottom", "seconds since start")
        self.lanes.getAxis("bottom").enableAutoSIPrefix(False)  # never "(x0.001)" under a teacher's run
        self.lanes.setXLink(self.counts)
        self.lanes.setMouseEnabled(y=False)
        for plot in (self.counts, self.rate, self.lanes):
            plot.getAxis("left").setWidth(AXIS_WIDTH_PX)
        self.lane_image = pg.ImageItem(axisOrder="row-major")
        self.lanes.addItem(self.lane_image)
        self.scene().sigMouseClicked.connect(self._on_clicked)

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
            self._count_top = 0.0  # following again: fit the counts afresh
            self.following_changed.emit(on)

    def _on_user_moved_view(self, *args: object) -> None:
        self.follow(False)
        self.view_moved.emit()

    def _on_clicked(self, event: object) -> None:
        view = self.lanes.getViewBox()
        position = event.scenePos()  # type: ignore[attr-defined]
        if not view.sceneBoundingRect().contains(position):
            return
        row = round(view.mapSceneToView(position).y())
        if 0 <= row < len(self._lanes):
            self.lane_clicked.emit(self._lanes[row])

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
        self._joins_drawn = 0
        self._lanes = []
        self._model = None
        self._now = None
        self.lane_image.clear()
        self.counts.setXRange(0, 10, padding=0)
        self._count_top = 0.0
        self.counts.enableAutoRange(y=True)
        self.follow(True)

    def redraw(self, timeline: Timeline, model: RunModel, now: float | None = None) -> None:
        """Draw ``timeline`` and ``model``; a live run's clock ``now`` (see
        :meth:`app.bridge.controller.RunController.run_time_now`) carries the last counts and every
        actor's state on up to that moment."""
        self._model = model
        self._now = now
        end = max(timeline.last_t, model.last_t, now or 0.0)
        self._draw_counts(timeline, end)
        self._draw_joins(timeline)
        starts, rates = timeline.completion_rate()
        if len(starts):
            width = starts[1] - starts[0] if len(starts) > 1 else timeline.last_t
            self.rate_curve.setData(np.append(starts, starts[-1] + width), np.append(rates, rates[-1]))
        self._draw_lanes(model)
        if self.following:
            self._follow_to(end)

    @property
    def drawn_now(self) -> float:
        """The live clock of the last drawing (0 if it had none)."""
        return self._now or 0.0

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
            if self._model is not None:
                # The swimlanes are an image of the range they were drawn for: draw them for this one.
                self._draw_lanes(self._model)

    def _draw_counts(self, timeline: Timeline, end: float) -> None:
        if not timeline.queues:
            return
        series = next(iter(timeline.queues.values()))
        t = series.column("t")
        end = max(end, float(t[-1]))
        (view_start, view_end), _ = self.counts.viewRange()
        if self.following:
            view_start, view_end = max(0.0, end - FOLLOW_WINDOW_S), end
        x, depth, unfinished = visible_steps(t, series.column("depth"), series.column("unfinished"),
                                             view_start, view_end, end, MAX_CURVE_POINTS)
        self.depth_curve.setData(x, depth)
        self.unfinished_curve.setData(x, unfinished)
        self.band.setPath(band_path(x, depth, unfinished))
        if self.following and len(unfinished):
            self._keep_headroom(float(max(unfinished.max(), depth.max())))

    def _keep_headroom(self, highest: float) -> None:
        """Leave the top of the count plot free for the join labels (set only when the
        highest count grows or the view was moved, since a new range re-lays out the axes)."""
        top = max(highest, 1.0) * (1 + LABEL_HEADROOM) + 0.5
        if top > self._count_top or self.counts.getViewBox().autoRangeEnabled()[1]:
            self._count_top = top
            self.counts.setYRange(-0.5, top, padding=0)

    def _draw_joins(self, timeline: Timeline) -> None:
        marks = [m for m in timeline.joins if m.on_queue]
        self.join_entries.setData([m.entered for m in marks], [m.unfinished_at_entry or 0 for m in marks],
                                  data=[m.actor for m in marks])
        for mark in marks[self._joins_drawn:]:
            if mark.returned is None:
                break
            self._joins_drawn += 1
            colour = theme.JOIN_EARLY if mark.released_by is None and mark.call is None else theme.JOIN
            dashed = pg.mkPen(colour, width=2, style=pg.QtCore.Qt.PenStyle.DashLine)
            line = pg.InfiniteLine(pos=mark.returned, angle=90, pen=dashed, label=mark.label(),
                                   labelOpts={"position": 0.93, "color": colour, "fill": (255, 255, 255, 200),
                                              "anchors": [(1, 0), (1, 0)]})
            self.counts.addItem(line)
            self._join_lines.append(line)
            if len(self._join_lines) > MAX_JOIN_LINES:  # a pool's as_completed() returns thousands of times
                self.counts.removeItem(self._join_lines.pop(0))

    def _draw_lanes(self, model: RunModel) -> None:
        names = sorted(model.transitions, key=lane_order)
        if names != self._lanes:
            self._lanes = names
            ticks = [(len(names) - 1 - i, name) for i, name in enumerate(names)]
            self.lanes.getAxis("left").setTicks([ticks])
            self.lanes.setYRange(-0.5, max(len(names), 1) - 0.5, padding=0.05)
        view = self.lanes.getViewBox()
        (start, stop), _ = view.viewRange()
        width = max(int(view.width()), 1)
        if not names or stop <= start:
            self.lane_image.clear()
            return
        now = max(model.last_t, self._now or 0.0)
        image = lanes_image([model.transitions[name] for name in names], start, stop, width, now)
        self.lane_image.setImage(image, autoLevels=False)
        self.lane_image.setRect(QRectF(start, -0.5, stop - start, len(names)))


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




def _font():
    from PySide6.QtGui import QFont
    font = QFont()
    font.setPointSize(theme.PLOT_FONT_PT)
    return font
