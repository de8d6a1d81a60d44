"""Stopping a traced program and every process it started, leaving none behind.

The program's children are not JoinScope's children, and they outlive a killed
parent (they are adopted by init), so the whole tree is found first, from
``/proc``, and frozen (SIGSTOP) so it cannot start more processes while it is being
stopped; then every member gets SIGTERM (and SIGCONT), and whatever is still alive
after a grace period gets SIGKILL.
"""
from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable

#: How often the tree is looked over again while it is being frozen or waited for.
_LOOK_S = 0.02


def _parents() -> dict[int, int]:
    """Every process's parent, from ``/proc/PID/stat`` (empty where there is no ``/proc``)."""
    parents: dict[int, int] = {}
    try:
        names = os.listdir("/proc")
    except OSError:
        return parents
    for name in names:
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as stat:
                fields = stat.read().rsplit(b")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if fields[0] != b"Z":
            parents[int(name)] = int(fields[1])
    return parents


def descendants(pid: int) -> list[int]:
    """The live processes below ``pid``, parents before their children."""
    children: dict[int, list[int]] = {}
    for child, parent in _parents().items():
        children.setdefault(parent, []).append(child)
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), ()):
            found.append(child)
            todo.append(child)
    return found


def alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie does not)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            return stat.read().rsplit(b")", 1)[1].split()[0] != b"Z"
    except (OSError, IndexError):
        try:
            os.kill(pid, 0)
        except OSError:
            return False
        return True


def _signal(pid: int, signum: int) -> None:
    try:
        os.kill(pid, signum)
    except OSError:
        pass


def stop_trees(roots: list[int], grace_s: float, waiting: Callable[[], None] = lambda: time.sleep(_LOOK_S)) -> None:
    """SIGTERM each of ``roots`` and all their descendants, SIGKILL what is left after ``grace_s``.

    Several roots: the program's main process, and the processes it left running when it
    ended (adopted by init, no longer below it).  ``waiting`` is called while waiting (the
    trace session drains events there, so the processes' last reports never block their exit)."""
    tree = list(dict.fromkeys(roots))
    for root in tree:
        _signal(root, signal.SIGSTOP)
    while True:  # freeze the trees, level by level, until they stop growing
        more = [pid for root in roots for pid in descendants(root) if pid not in tree]
        if not more:
            break
        for pid in more:
            _signal(pid, signal.SIGSTOP)
        tree += list(dict.fromkeys(more))
    for pid in tree:
        _signal(pid, signal.SIGTERM)
        _signal(pid, signal.SIGCONT)
    deadline = time.monotonic() + grace_s
    while time.monotonic() < deadline and any(alive(pid) for pid in tree):
        waiting()
    for pid in tree + [pid for root in roots for pid in descendants(root) if pid not in tree]:
        if alive(pid):
            _signal(pid, signal.SIGKILL)
