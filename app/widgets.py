"""Small widgets the window is built from."""
from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QIcon, QPainter, QPixmap
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSlider, QWidget

from app import theme
from core.analysis.model import EXITED
from core.analysis.units import SECONDS, TimeUnit


class LabelledSlider(QWidget):
    """A slider over a list of values (its stops), with its name and its value shown in the
    setting's units.

    A value given to :meth:`set_value` that is not a stop — a scenario's own, or one from
    the command line — becomes one, so the slider always shows, and gives back, exactly the
    value it was given.  ``None`` (e.g. "random") sorts before every number.
    ``value_changed`` fires with the value when the user lets go or steps with keys.
    """

    value_changed = Signal(object)

    def __init__(self, name: str, stops: Sequence[Any], *, text: Callable[[Any], str] | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._stops = sorted(stops, key=_stop_order)
        self._text = text or (lambda value: f"{value:g}")
        self.name_label = QLabel(name)
        self.name_label.setMinimumWidth(120)
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setRange(0, len(self._stops) - 1)
        self.slider.setAccessibleName(name)
        self.value_label = QLabel()
        self.value_label.setMinimumWidth(70)
        self.value_label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.name_label)
        layout.addWidget(self.slider, 1)
        layout.addWidget(self.value_label)
        self.slider.valueChanged.connect(self._show)
        self.slider.sliderReleased.connect(self._emit)
        self.slider.actionTriggered.connect(self._on_action)
        self._show(self.slider.value())

    @property
    def stops(self) -> list[Any]:
        return list(self._stops)

    def value(self) -> Any:
        return self._stops[self.slider.value()]

    def set_value(self, value: Any) -> None:
        """Move the slider to ``value`` (made a stop if it is none) without emitting ``value_changed``."""
        if value not in self._stops:
            self._stops.insert(bisect_left([_stop_order(stop) for stop in self._stops], _stop_order(value)), value)
            self.slider.blockSignals(True)
            self.slider.setRange(0, len(self._stops) - 1)
            self.slider.blockSignals(False)
        position = self._stops.index(value)
        self.slider.blockSignals(True)
        self.slider.setValue(position)
        self.slider.blockSignals(False)
        self._show(position)

    def _show(self, position: int) -> None:
        self.value_label.setText(self._text(self._stops[position]))

    def _emit(self) -> None:
        self.value_changed.emit(self.value())

    def _on_action(self, action: int) -> None:
        if not self.slider.isSliderDown():  # keys, wheel and page clicks act at once
            self.value_changed.emit(self._stops[self.slider.sliderPosition()])


def _stop_order(value: Any) -> float:
    return float("-inf") if value is None else float(value)


def _swatch(colour: str, glyph: str) -> str:
    return f'<span style="color:{colour}; font-weight:bold;">{glyph}</span>'


def _rgba(colour: tuple[int, int, int, int]) -> str:
    red, green, blue, alpha = colour
    return f"rgba({red},{green},{blue},{alpha / 255:.2f})"


def lane_legend() -> QLabel:
    """The swimlanes' colours, named, in one line under the plots (a striped state's swatch
    is striped too)."""
    cells = [f"{_swatch(colour, '▤▤' if state in theme.STRIPED_STATES else '██')}&nbsp;{_unbroken(state)}"
             for state, colour in theme.STATE_COLOURS.items() if state != EXITED]
    legend = QLabel("Swimlanes: " + " &nbsp; ".join(cells) + " &nbsp; (blank:&nbsp;exited)")
    legend.setWordWrap(True)
    legend.setObjectName("lane-legend")
    return legend


def _unbroken(text: str) -> str:
    """``text`` that wraps only as a whole: a legend's swatch stays beside its words."""
    return text.replace(" ", "&nbsp;")


def state_swatch(colour: str, striped: bool = False) -> QIcon:
    """A state's colour as a small square (striped as its lane is), for lists that name states."""
    pixmap = QPixmap(14, 14)
    pixmap.fill(QColor(colour))
    if striped:
        painter = QPainter(pixmap)
        painter.setCompositionMode(QPainter.CompositionMode.CompositionMode_Clear)
        for row in range(0, 14, 4):
            painter.fillRect(0, row, 14, 2, QColor(0, 0, 0, 0))
        painter.end()
    return QIcon(pixmap)


def counts_legend() -> QLabel:
    """What every line, band, mark and shade of the plots means, in one line above them (a
    legend inside a plot would cover the curves)."""
    legend = QLabel(counts_legend_text(SECONDS))
    legend.setWordWrap(True)
    legend.setObjectName("counts-legend")
    return legend


def counts_legend_text(unit: TimeUnit, pools: bool = False, rate_window: str | None = None) -> str:
    """The counts legend of a run whose times count ``unit`` (a stepped run has no Pause), which
    has ``pools`` (their counts mean a pool's), its rate averaged over ``rate_window``."""
    shade = _rgba(theme.IN_PROGRESS)
    paused = _rgba(theme.PAUSE_SHADE)
    cells = [
        f"{_swatch(theme.scheme().unfinished, '━━')} unfinished tasks (join() waits for 0"
        + ("; a pool's: not yet delivered)" if pools else ")"),
        f"{_swatch(theme.DEPTH, '━━')} queue depth" + (" (a pool's: not yet started)" if pools else ""),
        f'<span style="background:{shade}; color:{shade};">&nbsp;&nbsp;&nbsp;</span> '
        "in progress (got, not yet task_done" + ("; a pool's: started, not yet delivered)" if pools else ")"),
        f"{_swatch(theme.JOIN, '▼')} join() entered",
        f"{_swatch(theme.JOIN, '┆')} join() returned (⚠ at once: too early?)",
        f"{_swatch(theme.RATE, '━━')} tasks done per {'step' if unit.stepped else 'second'}"
        + (f" (over {rate_window})" if rate_window else ""),
    ]
    if not unit.stepped:
        cells.append(f'<span style="background:{paused}; color:{paused};">&nbsp;&nbsp;&nbsp;</span> paused')
    return " &nbsp; ".join(map(_keep_with_swatch, cells))


def _keep_with_swatch(cell: str) -> str:
    """A legend cell whose swatch and first two words never part at a line's end."""
    swatch, _, words = cell.partition("</span> ")
    return swatch + "</span>&nbsp;" + words.replace(" ", "&nbsp;", 1) if words else cell
