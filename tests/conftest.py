"""Shared test set-up: offscreen Qt, and no process or thread may outlive its test."""
from __future__ import annotations

import atexit
import os
import shutil
import tempfile
import threading

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# What the window remembers (app/preferences.py) is kept apart from the user's own settings:
# the commands the tests run share this folder (on every system: Qt reads XDG_CONFIG_HOME on
# Linux only); each test's own windows get a folder of their own (own_settings, below).
_SETTINGS_DIR = tempfile.mkdtemp(prefix="joinscope-test-settings-")
os.environ["JOINSCOPE_SETTINGS_DIR"] = _SETTINGS_DIR
atexit.register(shutil.rmtree, _SETTINGS_DIR, True)

import psutil  # noqa: E402
import pytest  # noqa: E402

from tests.runs import LONG_LIVED_HELPERS  # noqa: E402

_LEAK_WAIT_S = 3.0


def _stray_children() -> list[psutil.Process]:
    strays = []
    for child in psutil.Process().children(recursive=True):
        try:
            cmdline = " ".join(child.cmdline())
            if child.status() == psutil.STATUS_ZOMBIE or not any(h in cmdline for h in LONG_LIVED_HELPERS):
                strays.append(child)
        except psutil.NoSuchProcess:
            continue
    return strays


def _stray_threads(before: set[int]) -> list[threading.Thread]:
    # Threads Python did not start (QThreads) appear as dummies; QThreads are checked on their own.
    return [t for t in threading.enumerate() if t.ident not in before and t.is_alive()
            and not isinstance(t, threading._DummyThread) and not t.name.startswith("pytest_timeout")]


def _running_qthreads() -> list:
    import sys
    pump = sys.modules.get("app.bridge.pump")
    return pump.running_pump_threads() if pump is not None else []


@pytest.fixture(autouse=True)
def own_settings(tmp_path):
    """A test starts with nothing remembered from another (see app/preferences.py)."""
    from PySide6.QtCore import QSettings

    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(tmp_path / "settings"))


@pytest.fixture(autouse=True)
def no_leaks():
    """Fail a test that leaves a child process, or a thread it started, alive."""
    before = {t.ident for t in threading.enumerate()}
    yield
    _, alive = psutil.wait_procs(_stray_children(), timeout=_LEAK_WAIT_S)
    threads = _stray_threads(before)
    for thread in threads:
        thread.join(timeout=_LEAK_WAIT_S)
    threads = [t for t in threads if t.is_alive()]
    leaked = [f"process {p.pid} {' '.join(p.cmdline())[:80]}" for p in alive if p.is_running()]
    leaked += [f"QThread {t.objectName()}" for t in _running_qthreads()]
    leaked += [f"thread {t.name}" for t in threads]
    for process in alive:
        process.kill()
    assert not leaked, "left behind: " + "; ".join(leaked)


@pytest.fixture(scope="session")
def seed_trace(tmp_path_factory):
    """A trace of a whole ``seed`` run (one producer, one consumer, main joins), recorded once."""
    from tests.recordings import record
    return record(tmp_path_factory.mktemp("recordings") / "seed.jsonl", "seed", seed=1)


@pytest.fixture(scope="session")
def bounded_trace(tmp_path_factory):
    """A trace of a whole ``bounded`` run (two producers blocking in put() on maxsize 3), recorded once."""
    from tests.recordings import record
    return record(tmp_path_factory.mktemp("recordings") / "bounded.jsonl", "bounded", seed=1)


@pytest.fixture
def window(qtbot):
    """A shown main window, closed (every run stopped) after the test."""
    from app.windows.main_window import MainWindow  # Qt only for the tests that ask for a window

    window = MainWindow()
    qtbot.addWidget(window)
    window.show()
    yield window
    window.close()
