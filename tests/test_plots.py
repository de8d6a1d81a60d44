"""The plots show the whole run when it is over or when asked, not only the last 30 s they followed."""
from __future__ import annotations

import pytest

from app.plots.run_plots import FOLLOW_WINDOW_S, X_PADDING
from core.analysis.model import RunModel
from core.analysis.timeline import Timeline
from core.events import ACTOR_START, GET, PUT, TASK_DONE, Event

pytestmark = pytest.mark.timeout(60)

#: A run much longer than the window the plots follow.
RUN_S = 100.0


def long_run() -> list[Event]:
    """One producer puts a task every second for 100 s; a consumer takes and finishes each at once,
    except the first five, which pile up (a staircase at the start the end must still show)."""
    events: list[Event] = []
    depth = unfinished = 0

    def add(t: float, kind: str, actor: str, item: object = None) -> None:
        nonlocal depth, unfinished
        if kind == PUT:
            depth, unfinished = depth + 1, unfinished + 1
        elif kind == GET:
            depth -= 1
        elif kind == TASK_DONE:
            unfinished -= 1
        seq = len(events) + 1
        events.append(Event(seq, t, kind, actor, 1, "tasks" if kind != ACTOR_START else None, seq, item,
                            depth if kind != ACTOR_START else None, unfinished if kind != ACTOR_START else None))

    add(0.0, ACTOR_START, "producer-0")
    add(0.0, ACTOR_START, "consumer-0")
    for i in range(5):
        add(0.1 + i, PUT, "producer-0", i)
    for i in range(5, int(RUN_S)):
        add(float(i), PUT, "producer-0", i)
        add(i + 0.2, GET, "consumer-0", i)
        add(i + 0.4, TASK_DONE, "consumer-0")
    return events


@pytest.fixture
def plots(qtbot):
    from app.plots.run_plots import RunPlots

    widget = RunPlots()
    qtbot.addWidget(widget)
    widget.resize(900, 600)
    widget.show()
    events = long_run()
    model, timeline = RunModel(), Timeline()
    model.apply(events)
    timeline.extend(events)
    widget.redraw(timeline, model)
    return widget, timeline, model


def _spans(curve) -> tuple[float, float]:
    x, _ = curve.getData()
    return float(x[0]), float(x[-1])


def test_following_shows_the_newest_part_only(plots):
    widget, _, _ = plots
    (start, stop), _ = widget.counts.viewRange()
    assert stop - start == pytest.approx(FOLLOW_WINDOW_S * (1 + X_PADDING))
    first, _ = _spans(widget.depth_curve)
    assert first > RUN_S - FOLLOW_WINDOW_S - 2


def test_a_run_that_is_over_is_drawn_whole(plots):
    widget, timeline, model = plots
    widget.fit(model.last_t)
    (start, stop), _ = widget.counts.viewRange()
    assert -0.05 * stop < start <= 0.0 and stop >= RUN_S - 1
    assert _spans(widget.depth_curve)[0] <= 0.1 and _spans(widget.depth_curve)[1] >= RUN_S - 1
    _, unfinished = widget.unfinished_curve.getData()
    assert unfinished[:6].tolist() == [0, 1, 2, 3, 4, 5]  # the staircase at the start is still there
    assert not widget.band.path().isEmpty() and widget.band.path().boundingRect().left() <= 0.1
    drawn = widget.lane_image.mapRectToParent(widget.lane_image.boundingRect())
    assert drawn.left() <= 0.0 and drawn.right() >= RUN_S - 1
    # A later redraw (a last event, the quiet timer) keeps it whole.
    widget.redraw(timeline, model)
    assert _spans(widget.depth_curve)[0] <= 0.1


def test_the_a_button_shows_everything_however_the_view_was_moved(plots, qtbot):
    widget, _, _ = plots
    widget.counts.setXRange(60, 70, padding=0)
    widget.follow(False)
    widget.counts.autoBtn.clicked.emit(widget.counts.autoBtn)
    (start, stop), _ = widget.counts.viewRange()
    assert -0.05 * stop < start <= 0.0 and stop >= RUN_S - 1
    assert _spans(widget.unfinished_curve) == pytest.approx((0.0, RUN_S - 0.6), abs=0.2)
    _, unfinished = widget.unfinished_curve.getData()
    _, top = widget.counts.viewRange()[1]
    assert unfinished[:6].tolist() == [0, 1, 2, 3, 4, 5] and top > unfinished.max()
    x, _ = widget.rate_curve.getData()
    assert x[0] == 0.0 and x[-1] >= RUN_S - 1


def test_the_rate_is_honest_its_window_stated_and_its_average_the_real_rate():
    """Two tasks a second for 30 s: the curve says about 2/s (not spikes of one task per narrow
    bin), and its mean over the run is the run's average rate."""
    from core.analysis.timeline import Timeline

    events = []
    for i in range(60):
        t = 0.25 + i * 0.5
        events.append(Event(i + 1, t, TASK_DONE, "consumer-0", 1, "tasks", i + 1, None, 0, 60 - i - 1))
    timeline = Timeline()
    timeline.extend(events)
    window = timeline.rate_window(30.0)
    assert window >= 1.0  # at least a few tasks' worth: not a spike per task
    times, rates = timeline.completion_rate(window, 30.0)
    settled = rates[times >= window]
    assert 1.0 <= settled.min() and settled.max() <= 3.0
    assert float(rates.mean()) == pytest.approx(60 / 30.0, rel=0.1)


def test_a_pause_is_shaded_across_every_plot(plots):
    widget, timeline, model = plots
    model.pauses.extend([[20.0, 25.0], [90.0, None]])
    widget.redraw(timeline, model, now=120.0)
    regions = {begin: [shade.getRegion() for shade in shades] for begin, shades in widget._pause_shades.items()}
    assert regions[20.0] == [(20.0, 25.0)] * 3
    assert regions[90.0] == [(90.0, 120.0)] * 3  # a pause still going reaches the present


def test_long_actor_names_are_shown_whole(qtbot):
    """pyqtgraph drops a tick label that does not fit its axis: the lanes' axis fits the names,
    and the event log's actor column too (or cuts it in the middle, whole in its tooltip)."""
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QFont, QFontMetrics

    from app.panels.event_log import ACTOR_COLUMN, EventLog
    from app.plots.run_plots import RunPlots

    names = ["main", "SpawnProcess-1", "Thread-1 (worker1)", "SyncManager-1/ForkPoolWorker-2"]
    events = [Event(i + 1, 0.1 * i, ACTOR_START, name, 1, None, 0, "x", None, None) for i, name in enumerate(names)]
    widget = RunPlots()
    qtbot.addWidget(widget)
    widget.resize(900, 600)
    model, timeline = RunModel(), Timeline()
    model.apply(events)
    timeline.extend(events)
    widget.redraw(timeline, model)
    axis = widget.lanes.getAxis("left")
    shown = [text for _, text in axis._tickLevels[0]]
    assert sorted(shown) == sorted(names)
    metrics = QFontMetrics(axis.style.get("tickFont") or QFont())
    assert axis.fixedWidth >= max(metrics.horizontalAdvance(name) for name in names)
    assert widget.counts.getAxis("left").fixedWidth == axis.fixedWidth == widget.rate.getAxis("left").fixedWidth
    log = EventLog()
    qtbot.addWidget(log)
    log.append(events)
    width = log.table.columnWidth(ACTOR_COLUMN)
    assert width >= log.table.fontMetrics().horizontalAdvance("SyncManager-1/ForkPoolWorker-2")
    index = log.model.index(3, ACTOR_COLUMN)
    assert log.model.data(index, Qt.ItemDataRole.ToolTipRole) == "SyncManager-1/ForkPoolWorker-2"


def test_a_plot_too_short_for_its_side_label_goes_without_it(qtbot):
    """Squeezed (a laptop's replay, the compare window), "tasks" and "done / s" would be written over
    each other: a plot keeps its label only while the label fits beside it; the times are written
    once, under the lanes."""
    from app.plots.run_plots import RunPlots

    plots = RunPlots()
    qtbot.addWidget(plots)
    plots.resize(900, 600)
    plots.show()
    def shown() -> tuple[bool, bool]:
        return tuple(p.getAxis("left").label.isVisible() for p in (plots.counts, plots.rate))

    assert shown() == (True, True)
    assert not plots.counts.getAxis("bottom").style["showValues"]
    assert plots.lanes.getAxis("bottom").style["showValues"]
    plots.resize(900, 220)
    qtbot.waitUntil(lambda: shown() == (True, False), timeout=5_000)
    plots.resize(900, 600)
    qtbot.waitUntil(lambda: shown() == (True, True), timeout=5_000)


def test_a_join_label_never_runs_off_the_plot(qtbot):
    """Beside its line on the side with more room: whole on one line where it fits, else on two
    (what waited, what released it), else only what waited; a program's own actor name with braces
    in it is written as it is (pyqtgraph formats a line's label with str.format)."""
    from PySide6.QtGui import QFontMetrics

    from app.plots.run_plots import RunPlots
    from core.events import JOIN_ENTER, JOIN_RETURN

    who = "main{1}"
    events = [Event(1, 0.1, PUT, "producer-0", 1, "tasks", 1, 0, 1, 1),
              Event(2, 0.2, JOIN_ENTER, who, 1, "tasks", 2, None, 1, 1),
              Event(3, 0.3, GET, "consumer-0", 1, "tasks", 3, 0, 0, 1),
              Event(4, 0.9, TASK_DONE, "consumer-0", 1, "tasks", 4, None, 0, 0),
              Event(5, 0.9, JOIN_RETURN, who, 1, "tasks", 5, None, 0, 0, 4, 0.7)]
    model, timeline = RunModel(), Timeline()
    model.apply(events)
    timeline.extend(events)
    plots = RunPlots()
    qtbot.addWidget(plots)
    plots.resize(1400, 600)
    plots.show()
    plots.redraw(timeline, model)
    plots.fit(2.4)  # the join at 0.9 s, the view to 2.4 s: the label goes right of its line
    [line] = plots._join_lines
    whole = f"{who} waited 0.70 s in join() · released by task_done #4 (consumer-0)"

    def shown() -> list[str]:
        return line.label.textItem.toPlainText().split("\n")

    def fits() -> bool:
        (start, stop), _ = plots.counts.viewRange()
        room = plots.counts.getViewBox().width() * (stop - line.value()) / (stop - start)
        metrics = QFontMetrics(line.label.textItem.font())
        return max(metrics.horizontalAdvance(part) for part in shown()) + 12 <= room

    qtbot.waitUntil(lambda: shown() == [whole], timeout=5_000)
    assert fits()
    plots.resize(760, 600)
    qtbot.waitUntil(lambda: shown() == whole.split(" · "), timeout=5_000)
    assert fits()
    plots.resize(600, 600)
    qtbot.waitUntil(lambda: shown() == [f"{who} waited 0.70 s in join()"], timeout=5_000)
    assert fits()


def test_each_run_s_rate_says_its_window_even_when_it_is_the_last_run_s(plots, qtbot):
    """The legend's "(over the last …)" comes from the plots' signal: after a reset, the next run
    tells its window again, though it is the same as the last run's."""
    widget, timeline, model = plots
    said: list[str] = []
    widget.rate_window_changed.connect(said.append)
    for _ in range(2):  # a run, then another just like it
        widget.clear_run()
        widget.redraw(timeline, model)
    assert len(said) == 2 and said[0] == said[1]
