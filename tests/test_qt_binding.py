"""The Qt binding must not corrupt reference counts (PySide6 6.12.0 under Python 3.11 did:
each call of a method returning nothing freed a reference to ``None``)."""
from __future__ import annotations

import sys

from PySide6.QtWidgets import QLabel


def test_calling_qt_methods_keeps_none_alive(qtbot):
    label = QLabel("x")
    qtbot.addWidget(label)
    label.show()
    before = sys.getrefcount(None)
    for _ in range(200):
        label.update()
        label.repaint()
    assert sys.getrefcount(None) - before > -50
