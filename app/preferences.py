"""What the window remembers from one session to the next, in Qt's own ``QSettings``.

Two things a desktop tool is expected to keep: where its window was (place and
size), and the recordings opened or saved lately (File ▸ Open recent), so a
teacher who prepared a run last night finds it again in class.  Nothing about a run
is kept here: a run's settings are its scenario's, or the command line's.
"""
from __future__ import annotations

import os

from PySide6.QtCore import QByteArray, QSettings
from PySide6.QtWidgets import QMainWindow

ORGANISATION = APPLICATION = "JoinScope"
#: A folder to keep the settings in instead of the user's own (a portable install, a test run).
#: Unlike ``XDG_CONFIG_HOME``, which Qt reads on Linux only, it works on every system.
SETTINGS_DIR_VARIABLE = "JOINSCOPE_SETTINGS_DIR"
#: How many recordings File ▸ Open recent lists.
RECENT_LIMIT = 8
_RECENT = "recent/recordings"
_GEOMETRY = "window/geometry"
_ZOOM = "window/zoom"


def use_folder_from_environment() -> None:
    """Keep the settings in :data:`SETTINGS_DIR_VARIABLE`'s folder, if it names one (called when
    the application starts)."""
    folder = os.environ.get(SETTINGS_DIR_VARIABLE)
    if folder:
        QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, folder)


def _settings() -> QSettings:
    # Made afresh each time: cheap, and always at the path the settings are kept at now.
    return QSettings(QSettings.Format.IniFormat, QSettings.Scope.UserScope, ORGANISATION, APPLICATION)


def _remembered() -> list[str]:
    """The list as kept (a file may be away for now: on a stick not plugged in)."""
    value = _settings().value(_RECENT, [])
    paths = [value] if isinstance(value, str) else list(value) if isinstance(value, (list, tuple)) else []
    return [path for path in paths if isinstance(path, str)]  # whatever else an edited file holds: ignored


def recent_recordings() -> list[str]:
    """The recordings opened or saved lately, newest first, those there now."""
    return [path for path in _remembered() if os.path.isfile(path)]


def remember_recording(path: str) -> None:
    """``path`` was opened or saved: first in the list from now on."""
    path = os.path.abspath(path)
    paths = [path, *(p for p in _remembered() if p != path)][:RECENT_LIMIT]
    _settings().setValue(_RECENT, paths)


def restore_window(window: QMainWindow) -> bool:
    """Put ``window`` where it was last closed; whether there was anything to restore."""
    geometry = _settings().value(_GEOMETRY)
    return isinstance(geometry, (QByteArray, bytes)) and window.restoreGeometry(geometry)


def zoom() -> float:
    """The text zoom the user chose last (1 at first)."""
    value = _settings().value(_ZOOM)
    try:
        factor = float(value) if value is not None else 1.0
    except (TypeError, ValueError):
        return 1.0
    return factor if 0.5 <= factor <= 3.0 else 1.0


def remember_zoom(factor: float) -> None:
    _settings().setValue(_ZOOM, factor)


def save_window(window: QMainWindow) -> None:
    _settings().setValue(_GEOMETRY, window.saveGeometry())
