"""How every window looks right now: the system's light or dark scheme, and the user's zoom.

Qt (6.5+) says which scheme the system uses and when it changes; the zoom is the user's
(View ▸ Zoom in / out / Actual size: Ctrl + / Ctrl − / Ctrl 0) and is remembered.  Both are
told to :mod:`app.theme`, which the windows read their colours and text sizes from, and
:attr:`Appearance.changed` tells the windows to restyle what they drew with the old ones.
"""
from __future__ import annotations

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication

from app import preferences, theme

#: The zoom steps Ctrl + and Ctrl − move between.
ZOOMS = (0.8, 0.9, 1.0, 1.1, 1.25, 1.5, 1.75, 2.0)


class Appearance(QObject):
    """One per application (see :func:`appearance`)."""

    changed = Signal()

    def __init__(self, app: QApplication) -> None:
        super().__init__(app)
        self._app = app
        self._base_point_size = app.font().pointSizeF()
        self.zoom = preferences.zoom()
        hints = QGuiApplication.styleHints()
        self.dark = hints.colorScheme() == Qt.ColorScheme.Dark
        hints.colorSchemeChanged.connect(self._on_scheme_changed)
        self._apply()

    def zoom_in(self) -> None:
        self.set_zoom(next((z for z in ZOOMS if z > self.zoom + 1e-9), ZOOMS[-1]))

    def zoom_out(self) -> None:
        self.set_zoom(next((z for z in reversed(ZOOMS) if z < self.zoom - 1e-9), ZOOMS[0]))

    def set_zoom(self, factor: float) -> None:
        factor = min(max(factor, ZOOMS[0]), ZOOMS[-1])
        if factor != self.zoom:
            self.zoom = factor
            preferences.remember_zoom(factor)
            self._apply()

    def use_dark(self, dark: bool) -> None:
        """Follow ``dark`` (the system says so; tests ask directly)."""
        if dark != self.dark:
            self.dark = dark
            self._apply()

    def _on_scheme_changed(self, scheme: Qt.ColorScheme) -> None:
        self.use_dark(scheme == Qt.ColorScheme.Dark)

    def _apply(self) -> None:
        theme.use_scheme(self.dark)
        theme.use_zoom(self.zoom)
        font = self._app.font()
        font.setPointSizeF(self._base_point_size * self.zoom)
        self._app.setFont(font)
        self.changed.emit()


def appearance() -> Appearance:
    """The application's appearance (made with the first window)."""
    app = QApplication.instance()
    assert isinstance(app, QApplication), "an application object first"
    found = app.findChild(Appearance)
    return found if found is not None else Appearance(app)
