"""The live plots: queue depth and unfinished tasks, join markers, completion rate, swimlanes.

All share one time axis: seconds since the run started, or a stepped run's steps
(:mod:`core.analysis.step_time`).  Data comes from the
controller's timeline and model as numpy views; :meth:`RunPlots.redraw` is called
from one timer, at most :data:`REDRAW_HZ` times a second, and only when something
changed.  While *following*, the view shows the newest :data:`FOLLOW_WINDOW_S`; any
pan or zoom by the user stops following until they ask for it again.

Curves are drawn for the range in view (a long run in bins that keep every peak).  A
run that is over is shown whole (:meth:`RunPlots.fit`), and so is any run when the user
asks for it (:meth:`RunPlots.show_all`: the plots' "A" button, or Home in the window):
the counts, the band, the markers, the rate and the lanes, drawn for that whole range.
"""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QCursor, QFont, QFontMetrics, QPainterPath
from PySide6.QtWidgets import QGraphicsPathItem, QToolTip

from app import theme
from app.appearance import appearance
from app.plots.lanes import lanes_image
from core.analysis.model import STATES, RunModel, lane_order
from core.analysis.timeline import Timeline
from core.analysis.units import SECONDS, TimeUnit

REDRAW_HZ = 60
FOLLOW_WINDOW_S = 30.0
#: While following, the share of the view kept free on the right for new data.
FOLLOW_MARGIN = 0.2
#: The most points a count curve gets; past that, a run is drawn in bins (see visible_steps).
MAX_CURVE_POINTS = 600
#: The left axes' width: the lanes' names fit (``SyncManager-1/ForkPoolWorker-2`` too), up to
#: the most; a longer name is cut with "…" (its whole name is in the event log).
AXIS_WIDTH_PX, MAX_AXIS_WIDTH_PX = 120, 320
#: What a left axis needs besides its tick labels: its title and tick marks.
AXIS_LABEL_ROOM_PX = 48
#: Room kept left of 0 and right of the end, as a share of the view: marks at the very start or
#: end of a run (the race's join at 0.01 s) are drawn whole.
X_PADDING = 0.015
#: Join returns drawn as labelled lines at most (the newest): every triangle stays.
MAX_JOIN_LINES = 60
#: The count plot's height before a run has data.
EMPTY_COUNT_TOP = 10
#: Room kept above the highest count for the join labels, as a share of it.
LABEL_HEADROOM = 0.3


class RunPlots(pg.GraphicsLayoutWidget):
    """Three stacked plots with linked x axes."""

    following_changed = Signal(bool)
    #: The user panned or zoomed: what is visible must be drawn again.
    view_moved = Signal()
    #: The user clicked an actor's swimlane (its name).
    lane_clicked = Signal(str)
    #: What the rate is averaged over now, in words ("the last 2 s"): the legend says it.
    rate_window_changed = Signal(str)
    #: The user clicked the plots at this moment (the window picks the event nearest to it).
    moment_clicked = Signal(float)

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.following = True
        self._lanes: list[str] = []
        self._count_top = 0.0
        #: The model last drawn (the lanes are drawn again for a new range), and the live clock then.
        self._model: RunModel | None = None
        self._timeline: Timeline | None = None
        self._now: float | None = None
        #: The whole run is shown, 0 to this time (following, a run that is over): drawn whole.
        self._fitted_end: float | None = None
        #: What the x axis counts: seconds, or steps.
        self.unit: TimeUnit = SECONDS
        #: The times are written under the lanes (not where plots stacked below share the axis).
        self._times_shown = True

        self.counts = self.addPlot(row=0, col=0)
        self.counts.setLabel("left", "tasks")
        self.unfinished_curve = self.counts.plot(stepMode="right")  # its colour: the scheme's (_restyle)
        self.depth_curve = self.counts.plot(pen=pg.mkPen(theme.DEPTH, width=3), stepMode="right")
        self.band = QGraphicsPathItem()
        self.band.setBrush(pg.mkBrush(*theme.IN_PROGRESS))
        self.band.setPen(pg.mkPen(None))
        self.band.setZValue(-1)
        self.counts.addItem(self.band)
        self.join_entries = pg.ScatterPlotItem(symbol="t", size=16, brush=pg.mkBrush(theme.JOIN),
                                               pen=pg.mkPen("k"))
        self.counts.addItem(self.join_entries)
        self.counts.getAxis("left").enableAutoSIPrefix(False)
        self.hint = pg.TextItem(anchor=(0.5, 0.5))
        self.hint.hide()
        self.counts.addItem(self.hint, ignoreBounds=True)
        self._join_lines: list[pg.InfiniteLine] = []
        #: The user's pauses, shaded on each plot: when it began -> one region per plot.
        self._pause_shades: dict[float, list[pg.LinearRegionItem]] = {}
        self._joins_drawn = 0

        self.rate = self.addPlot(row=1, col=0)
        self.rate.setLabel("left", SECONDS.rate_label())
        self.rate_curve = self.rate.plot(pen=pg.mkPen(theme.RATE, width=2), fillLevel=0,
                                         brush=pg.mkBrush(*theme.RATE_FILL))
        self._rate_window: float | None = None
        self.rate.setXLink(self.counts)

        self.lanes = self.addPlot(row=2, col=0)
        self.lanes.setLabel("bottom", SECONDS.axis_label)
        self.lanes.getAxis("bottom").enableAutoSIPrefix(False)  # never "(x0.001)" under a teacher's run
        self.lanes.setXLink(self.counts)
        self.lanes.setMouseEnabled(y=False)
        self.rate.getAxis("left").enableAutoSIPrefix(False)  # 0.2 done a step, not "200 (x0.001)"
        for plot in (self.counts, self.rate, self.lanes):
            plot.getAxis("left").setWidth(AXIS_WIDTH_PX)
        self.lane_image = pg.ImageItem(axisOrder="row-major")
        self.lanes.addItem(self.lane_image)
        self.scene().sigMouseClicked.connect(self._on_clicked)
        self.scene().sigMouseMoved.connect(self._on_hovered)
        # However the range moved (panned here, or by a plot linked to this one), each join's label
        # goes to the side of its line that has room.
        self.counts.getViewBox().sigXRangeChanged.connect(lambda *_: self._place_join_labels())
        #: The moment picked in the event log, marked on each plot (see mark_moment).
        self._moment = []
        for plot in (self.counts, self.rate, self.lanes):
            line = pg.InfiniteLine(angle=90, movable=False,
                                   pen=pg.mkPen(theme.MOMENT, width=1, style=Qt.PenStyle.DashDotLine))
            line.setZValue(5)
            line.hide()
            plot.addItem(line, ignoreBounds=True)
            self._moment.append(line)

        # The x axes are linked: the times are written once, under the lanes; the plots above keep
        # their ticks and give the height of a row of numbers to their data (a laptop has little).
        for plot in (self.counts, self.rate):
            plot.getAxis("bottom").setStyle(showValues=False)
        self.ci.layout.setRowStretchFactor(0, 5)
        self.ci.layout.setRowStretchFactor(1, 2)
        self.ci.layout.setRowStretchFactor(2, 3)
        for plot in (self.counts, self.rate, self.lanes):
            plot.getViewBox().sigRangeChangedManually.connect(self._on_user_moved_view)
            # pyqtgraph's "A" button would fit the view to what is drawn, which is only what was in
            # view: it shows the whole run instead.
            plot.autoBtn.clicked.disconnect()
            plot.autoBtn.clicked.connect(self.show_all)
        for plot in (self.counts, self.rate):
            plot.getViewBox().sigResized.connect(lambda *_: self._fit_side_labels())
        self.counts.getViewBox().sigResized.connect(lambda *_: self._place_join_labels())
        self._restyle()
        appearance().changed.connect(self._restyle)
        self.clear_run()

    def show_times(self, shown: bool) -> None:
        """Write the times under the lanes, or not: runs stacked on one shared time axis write
        them once, under the lowest, and give the others' plots that height."""
        self._times_shown = shown
        axis = self.lanes.getAxis("bottom")
        axis.setStyle(showValues=shown)
        axis.showLabel(shown)

    def _fit_side_labels(self) -> None:
        """A plot shorter than its side label ("tasks", "done / s") goes without it, rather than
        write it over its neighbour's (the legend above names every series)."""
        for plot in (self.counts, self.rate):
            axis = plot.getAxis("left")
            needed = QFontMetrics(axis.label.font()).horizontalAdvance(axis.labelText) + 2
            axis.showLabel(plot.getViewBox().height() >= needed)

    def _restyle(self) -> None:
        """Draw in the scheme (light or dark) and at the zoom now: the ground, the text, the line
        that must stand out most against the ground, the join labels."""
        scheme = theme.scheme()
        self.setBackground(scheme.background)
        font = _font()
        for plot in (self.counts, self.rate, self.lanes):
            for name in ("left", "bottom"):
                axis = plot.getAxis(name)
                axis.setTextPen(scheme.foreground)
                axis.setPen(scheme.foreground)
                axis.setStyle(tickFont=font)
                axis.label.setFont(font)
        self.unfinished_curve.setPen(pg.mkPen(scheme.unfinished, width=3))
        self.join_entries.setPen(pg.mkPen(scheme.foreground))
        for line in self._join_lines:
            line.label.setColor(scheme.foreground)
            line.label.fill = pg.mkBrush(*scheme.label_fill)
            line.label.setFont(font)
        if self._lanes:
            self._fit_lane_names(self._lanes)
        self._fit_side_labels()

    # -- following ----------------------------------------------------------------------
    def follow(self, on: bool = True) -> None:
        if on != self.following:
            self.following = on
            self._fitted_end = None
            self._count_top = 0.0  # following again: fit the counts afresh
            self.following_changed.emit(on)

    def _on_user_moved_view(self, *args: object) -> None:
        self.follow(False)
        self.view_moved.emit()

    def _on_clicked(self, event: object) -> None:
        """A click on a lane names its actor; a click anywhere on the plots names its moment."""
        position = event.scenePos()  # type: ignore[attr-defined]
        actor = self._lane_at(position)
        if actor is not None:
            self.lane_clicked.emit(actor)
        for plot in (self.counts, self.rate, self.lanes):
            view = plot.getViewBox()
            if view.sceneBoundingRect().contains(position):
                self.moment_clicked.emit(float(view.mapSceneToView(position).x()))
                return

    def _lane_at(self, position: QPointF) -> str | None:
        """The actor whose lane is under ``position`` (scene coordinates), if any: the first lane
        is drawn on top, at the highest row."""
        view = self.lanes.getViewBox()
        if not view.sceneBoundingRect().contains(position):
            return None
        row = round(view.mapSceneToView(position).y())
        index = len(self._lanes) - 1 - row
        return self._lanes[index] if 0 <= index < len(self._lanes) else None

    def _on_hovered(self, position: QPointF) -> None:
        """What is under the pointer, as a tooltip: the counts at that moment on the count plot, the
        actor's state and since when on its lane."""
        text = self.describe_at(position)
        if text is None:
            QToolTip.hideText()
        else:
            QToolTip.showText(QCursor.pos(), text, self)

    def describe_at(self, position: QPointF) -> str | None:
        """The tooltip for ``position`` (scene coordinates); ``None`` where there is nothing to say."""
        unit = self.unit
        actor = self._lane_at(position)
        if actor is not None and self._model is not None:
            t = float(self.lanes.getViewBox().mapSceneToView(position).x())
            times, codes = self._model.transitions[actor]
            index = int(np.searchsorted(np.frombuffer(times, np.float64), t, side="right")) - 1
            if t > max(self._model.last_t, self._now or 0.0):
                return None  # after the run so far: nothing is known there
            if index < 0:
                return f"{actor}\nat {unit.at(t).strip()}: not launched yet"
            return (f"{actor}\nat {unit.at(t).strip()}: {STATES[codes[index]]}\n"
                    f"since {unit.at(times[index]).strip()}")
        view = self.counts.getViewBox()
        if self._timeline is None or not self._timeline.queues or not view.sceneBoundingRect().contains(position):
            return None
        t = float(view.mapSceneToView(position).x())
        series = next(iter(self._timeline.queues.values()))
        times = series.column("t")
        index = int(np.searchsorted(times, t, side="right")) - 1
        if index < 0 or t > max(float(times[-1]), self._now or 0.0):
            return None
        depth, unfinished = int(series.column("depth")[index]), int(series.column("unfinished")[index])
        return (f"at {unit.at(t).strip()}\ndepth {depth}  ·  unfinished {unfinished}  ·  "
                f"in progress {unfinished - depth}")

    def mark_moment(self, t: float | None) -> None:
        """A thin line across the plots at ``t`` (an event picked in the log), brought into view;
        ``None`` takes it away."""
        if t is None:
            for line in self._moment:
                line.hide()
            return
        for line in self._moment:
            line.setValue(t)
            line.show()
        (start, stop), _ = self.counts.viewRange()
        if not start <= t <= stop:
            self.follow(False)
            half = (stop - start) / 2
            self._set_x_range(max(0.0, t - half), max(0.0, t - half) + 2 * half)
            self.view_moved.emit()

    # -- drawing ------------------------------------------------------------------------
    def clear_run(self, unit: TimeUnit = SECONDS) -> None:
        """Empty plots for a run whose times count ``unit``."""
        if unit is not self.unit:
            self.unit = unit
            self.lanes.setLabel("bottom", unit.axis_label)
            self.lanes.getAxis("bottom").showLabel(self._times_shown)
        self._rate_window = None  # the next run's rate says its window again, the same or not
        self.band.setPath(QPainterPath())
        self.depth_curve.setData([], [])
        self.unfinished_curve.setData([], [])
        self.rate_curve.setData([], [])
        self.join_entries.setData([], [])
        for line in self._join_lines:
            self.counts.removeItem(line)
        self._join_lines = []
        for shades in self._pause_shades.values():
            for plot, shade in zip((self.counts, self.rate, self.lanes), shades):
                plot.removeItem(shade)
        self._pause_shades = {}
        self._joins_drawn = 0
        self._lanes = []
        self._model = None
        self._timeline = None
        self._now = None
        self._fitted_end = None
        self.lane_image.clear()
        self._set_x_range(0.0, 10.0)
        # Empty plots that look ready, not broken: counts from 0, no lanes yet (the first data sets
        # the counts' range, see _keep_headroom).
        self._count_top = 0.0
        self.counts.disableAutoRange(axis="y")
        self.counts.setYRange(0, EMPTY_COUNT_TOP, padding=0)
        self.rate.setYRange(0, 1, padding=0)
        self.lanes.setYRange(-0.5, 0.5, padding=0)
        self.lanes.getAxis("left").setTicks([[]])
        self.follow(True)

    def show_hint(self, text: str | None) -> None:
        """A line in the middle of the empty count plot saying what to do (``None``: none)."""
        if text is None:
            self.hint.hide()
            return
        self.hint.setHtml(f'<div style="font-size:{theme.px(15)}px; color:{theme.scheme().foreground};">'
                          f"{text}</div>")
        self.hint.setPos(5.0, EMPTY_COUNT_TOP / 2)
        self.hint.show()

    def redraw(self, timeline: Timeline, model: RunModel, now: float | None = None) -> None:
        """Draw ``timeline`` and ``model``; a live run's clock ``now`` (see
        :meth:`app.bridge.controller.RunController.run_time_now`) carries the last counts and every
        actor's state on up to that moment."""
        self._model = model
        self._timeline = timeline
        self._now = now
        end = max(timeline.last_t, model.last_t, now or 0.0)
        if self._fitted_end is not None and end > self._fitted_end:
            self._fitted_end = None  # the run went on: follow its newest part again
        self._draw_counts(timeline, end)
        self._draw_joins(timeline)
        self._draw_rate(timeline, end)
        self._draw_pauses(model, end)
        self._draw_lanes(model)
        if self.following and self._fitted_end is None:
            self._follow_to(end)

    def _draw_rate(self, timeline: Timeline, end: float) -> None:
        window = timeline.rate_window(end)
        if window != self._rate_window and timeline.completed:  # (nothing done yet: no rate to explain)
            self._rate_window = window
            self.rate.setLabel("left", self.unit.rate_label())
            self._fit_side_labels()
            self.rate_window_changed.emit(self.unit.rate_window(window))
        times, rates = timeline.completion_rate(window, end)
        self.rate_curve.setData(np.append(0.0, times), np.append(0.0, rates))
        if len(times) and not self.rate.getViewBox().autoRangeEnabled()[1]:
            self.rate.enableAutoRange(axis="y")  # the first rate: its range from now on (empty: 0–1)

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
        self._set_x_range(start, min(stop, FOLLOW_WINDOW_S) if start == 0.0 else stop)

    def _set_x_range(self, start: float, stop: float) -> None:
        """Show ``start`` … ``stop``, with a little room either side for the marks at its edges."""
        pad = (stop - start) * X_PADDING
        self.counts.setXRange(start - pad if start == 0.0 else start, stop + pad, padding=0)

    def fit(self, end: float) -> None:
        """Show the whole run, 0 to ``end`` (a run that is over, while following); a run that
        ended before its first event keeps the empty plots' axes."""
        if self.following and end > 0:
            self._show_whole(end)

    def show_all(self) -> None:
        """Show the whole run so far, whatever was in view (and stop following it)."""
        self.follow(False)
        self._show_whole(self._run_end())
        self.view_moved.emit()

    def _run_end(self) -> float:
        timeline, model = self._timeline, self._model
        return max(timeline.last_t if timeline else 0.0, model.last_t if model else 0.0, self._now or 0.0)

    def _show_whole(self, end: float) -> None:
        """Set the view to 0 … ``end`` and draw everything for that range: the curves and the
        swimlanes are drawn for the range they show, and a long run's last 30 s are not all of it."""
        end = max(end, 0.1)
        if self.following:
            self._fitted_end = end
        self._set_x_range(0.0, end)
        if self._timeline is not None:
            self._count_top = 0.0
            self._draw_counts(self._timeline, end, whole=True)
        if self._model is not None:
            self._draw_lanes(self._model)

    def _draw_counts(self, timeline: Timeline, end: float, whole: bool = False) -> None:
        if not timeline.queues:
            return
        series = next(iter(timeline.queues.values()))
        t = series.column("t")
        end = max(end, float(t[-1]))
        (view_start, view_end), _ = self.counts.viewRange()
        if whole or self._fitted_end is not None:
            view_start, view_end = 0.0, end
        elif self.following:
            view_start, view_end = max(0.0, end - FOLLOW_WINDOW_S), end
        x, depth, unfinished = visible_steps(t, series.column("depth"), series.column("unfinished"),
                                             view_start, view_end, end, MAX_CURVE_POINTS)
        self.depth_curve.setData(x, depth)
        self.unfinished_curve.setData(x, unfinished)
        self.band.setPath(band_path(x, depth, unfinished))
        if (self.following or whole) and len(unfinished):
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
        if len(marks) != len(self.join_entries.data):  # a join, once entered, stays where it was
            self.join_entries.setData([m.entered for m in marks], [m.unfinished_at_entry or 0 for m in marks],
                                      data=[m.actor for m in marks])
        added = False
        for mark in marks[self._joins_drawn:]:
            if mark.returned is None:
                break
            self._joins_drawn += 1
            # Nothing was unfinished: returned at once (the race), dotted; a wait released, dashed.
            early = mark.released_by is None and mark.call is None
            style = pg.QtCore.Qt.PenStyle.DotLine if early else pg.QtCore.Qt.PenStyle.DashLine
            line = pg.InfiniteLine(pos=mark.returned, angle=90, pen=pg.mkPen(theme.JOIN, width=2, style=style),
                                   label=_format_of(mark.label(self.unit)), labelOpts={
                                       "position": 0.93, "color": theme.scheme().foreground,
                                       "fill": theme.scheme().label_fill})
            line.label.setFont(_font())
            line.label.one_line = mark.label(self.unit)  # (see _place_join_labels)
            self.counts.addItem(line)
            self._join_lines.append(line)
            if len(self._join_lines) > MAX_JOIN_LINES:  # a pool's as_completed() returns thousands of times
                self.counts.removeItem(self._join_lines.pop(0))
            added = True
        if added:
            self._place_join_labels()

    def _place_join_labels(self) -> None:
        """Each join's label beside its line, on the side with more room: right of a line in the
        left half of the view (a join at the start of a run), left of one in the right half; on two
        lines (what waited, what released it) where one line would run off the plot, and only what
        waited where even those would (the log and the story say what released it)."""
        (start, stop), _ = self.counts.viewRange()
        width_px = self.counts.getViewBox().width()
        for line in self._join_lines:
            label = line.label
            share = (line.value() - start) / (stop - start) if stop > start else 0.0
            anchor = (0, 0) if share < 0.5 else (1, 0)
            room_px = width_px * max(share, 1.0 - share)
            metrics = QFontMetrics(label.textItem.font())
            whole = label.one_line
            text = next((choice for choice in (whole, whole.replace(" · ", "\n"))
                         if max(metrics.horizontalAdvance(part) for part in choice.split("\n")) + 12 <= room_px),
                        whole.split(" · ")[0])
            text = _format_of(text)
            if label.format != text:
                label.setFormat(text)
            if label.anchors[0] != anchor:
                label.anchors = [anchor, anchor]
                label.updatePosition()

    def _draw_pauses(self, model: RunModel, end: float) -> None:
        """Shade each pause of the user's across the plots (one still going reaches ``end``)."""
        for begin, finish in model.pauses:
            if begin is None:
                continue
            region = (begin, finish if finish is not None else end)
            shades = self._pause_shades.get(begin)
            if shades is None:
                shades = self._pause_shades[begin] = [self._pause_shade(plot)
                                                      for plot in (self.counts, self.rate, self.lanes)]
            for shade in shades:
                if shade.getRegion() != region:
                    shade.setRegion(region)

    @staticmethod
    def _pause_shade(plot: pg.PlotItem) -> pg.LinearRegionItem:
        shade = pg.LinearRegionItem(movable=False, brush=pg.mkBrush(*theme.PAUSE_SHADE), pen=pg.mkPen(None))
        shade.setZValue(-2)
        plot.addItem(shade)
        return shade

    def _fit_lane_names(self, names: list[str]) -> None:
        """Label each lane with its actor's whole name: the left axes (all three, so the plots
        stay aligned) widen to the longest, up to :data:`MAX_AXIS_WIDTH_PX`; past that a name is
        cut in the middle with "…".  (pyqtgraph drops a tick label that does not fit.)"""
        axis = self.lanes.getAxis("left")
        metrics = QFontMetrics(axis.style.get("tickFont") or QFont())
        room = MAX_AXIS_WIDTH_PX - AXIS_LABEL_ROOM_PX
        shown = [metrics.elidedText(name, Qt.TextElideMode.ElideMiddle, room) for name in names]
        widest = max((metrics.horizontalAdvance(text) for text in shown), default=0)
        width = min(max(AXIS_WIDTH_PX, widest + AXIS_LABEL_ROOM_PX), MAX_AXIS_WIDTH_PX)
        for plot in (self.counts, self.rate, self.lanes):
            plot.getAxis("left").setWidth(width)
        axis.setTicks([[(len(names) - 1 - i, text) for i, text in enumerate(shown)]])

    def _draw_lanes(self, model: RunModel) -> None:
        names = sorted(model.transitions, key=lane_order)
        if names != self._lanes:
            self._lanes = names
            self._fit_lane_names(names)
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




def _font() -> QFont:
    """The plots' text, at the zoom now."""
    font = QFont()
    font.setPointSizeF(theme.PLOT_FONT_PT * theme.px(100) / 100)
    return font


def _format_of(text: str) -> str:
    """``text`` as a line label's format (pyqtgraph fills it in with ``str.format``: a traced
    program's thread named ``worker{1}`` must not be taken for a field)."""
    return text.replace("{", "{{").replace("}", "}}")

