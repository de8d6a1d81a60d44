"""Recorded runs for the replay and export tests: real sessions, sped up, written as traces."""
from __future__ import annotations

from pathlib import Path

from core.recordings.trace import TraceWriter, trace_header
from core.scenarios import scenario
from tests.runs import run_scenario


def record(path: Path, name: str, **overrides: object) -> Path:
    """Run scenario ``name`` at 40x (unless ``overrides`` say otherwise) and write its trace to ``path``."""
    overrides.setdefault("speed", 40.0)
    _, events = run_scenario(name, **overrides)
    with TraceWriter(path, trace_header(scenario(name, **overrides))) as writer:
        writer.write(events)
    return path


def stalled_copy(trace: Path, path: Path) -> Path:
    """``trace`` cut while main waits in ``tasks.join()`` with tasks unfinished, then a silence
    longer than the stall timeout and main stopped: what a stalled, then stopped, run records."""
    from core.events import ACTOR_EXIT, TASK_DONE, Event
    from core.recordings.trace import read_trace

    recorded = read_trace(trace)
    dones = [i for i, e in enumerate(recorded.events) if e.kind == TASK_DONE]
    events = recorded.events[:dones[4] + 1]
    main = next(e for e in events if e.actor == "main")
    silence = recorded.header["scenario"]["stall_timeout_s"] * 2
    events.append(Event(len(events) + 1, events[-1].t + silence, ACTOR_EXIT, "main", main.pid, None, 0, "main",
                        None, None, exitcode=None))
    with TraceWriter(path, recorded.header) as writer:
        writer.write(events)
    return path


def paused_copy(trace: Path, path: Path) -> Path:
    """``trace`` with a silence longer than the stall timeout after its fifth ``task_done``, after
    which the run goes on to its end: what a run paused for a while (not stalled) records."""
    from core.events import TASK_DONE
    from core.recordings.trace import read_trace

    recorded = read_trace(trace)
    fifth = [i for i, e in enumerate(recorded.events) if e.kind == TASK_DONE][4]
    silence = recorded.header["scenario"]["stall_timeout_s"] * 2
    events = [e if i <= fifth else e._replace(t=e.t + silence) for i, e in enumerate(recorded.events)]
    with TraceWriter(path, recorded.header) as writer:
        writer.write(events)
    return path
