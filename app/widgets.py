"""Small widgets the window is built from."""
from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSlider, QWidget

from app import theme
from core.analysis.model import EXITED


class LabelledSlider(QWidget):
    """A slider with its name and its current value shown, in the units of the setting.

    ``to_value``/``from_value`` map slider positions to values (for a log scale, say);
    ``value_changed`` fires with the value when the user lets go or steps with keys.
    """

    value_changed = Signal(object)

    def __init__(self, name: str, minimum: int, maximum: int, *, unit: str = "",
                 to_value: Callable[[int], float] | None = None, from_value: Callable[[float], int] | None = None,
                 text: Callable[[float], str] | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._to_value = to_value or (lambda position: position)
        self._from_value = from_value or (lambda value: int(value))
        self._text = text or (lambda value: f"{value:g}{unit}")
        self.name_label = QLabel(name)
        self.name_label.setMinimumWidth(120)
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setRange(minimum, maximum)
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

    def value(self) -> float:
        return self._to_value(self.slider.value())

    def set_value(self, value: float) -> None:
        """Move the slider without emitting ``value_changed``."""
        self.slider.blockSignals(True)
        self.slider.setValue(self._from_value(value))
        self.slider.blockSignals(False)
        self._show(self.slider.value())

    def _show(self, position: int) -> None:
        self.value_label.setText(self._text(self._to_value(position)))

    def _emit(self) -> None:
        self.value_changed.emit(self.value())

    def _on_action(self, action: int) -> None:
        if not self.slider.isSliderDown():  # keys, wheel and page clicks act at once
            self.value_changed.emit(self._to_value(self.slider.sliderPosition()))


def lane_legend() -> QLabel:
    """The swimlanes' colours, named, in one line under the plots."""
    cells = [f'<span style="background:{colour}; color:{colour};">&nbsp;&nbsp;&nbsp;</span>&nbsp;{state}'
             for state, colour in theme.STATE_COLOURS.items() if state != EXITED]
    legend = QLabel("Swimlanes: " + " &nbsp; ".join(cells) + " &nbsp; (blank: exited)")
    legend.setWordWrap(True)
    legend.setObjectName("lane-legend")
    return legend


def counts_legend() -> QLabel:
    """What the count plot's lines, band and marks mean, in one line above the plots
    (a legend inside the plot would cover the curves)."""
    def swatch(colour: str, glyph: str) -> str:
        return f'<span style="color:{colour}; font-weight:bold;">{glyph}</span>'
    red, green, blue, alpha = theme.IN_PROGRESS
    band = f"rgba({red},{green},{blue},{alpha / 255:.2f})"
    legend = QLabel(" &nbsp; ".join([
        f"{swatch(theme.UNFINISHED, '━━')} unfinished tasks (join() waits for 0; a pool's: not yet delivered)",
        f"{swatch(theme.DEPTH, '━━')} queue depth (a pool's: not yet started)",
        f'<span style="background:{band}; color:{band};">&nbsp;&nbsp;&nbsp;</span> '
        "in progress (got, not yet task_done; started, not yet delivered)",
        f"{swatch(theme.JOIN, '▼')} join() entered",
        f"{swatch(theme.JOIN, '┆')} join() returned",
    ]))
    legend.setWordWrap(True)
    legend.setObjectName("counts-legend")
    return legend
