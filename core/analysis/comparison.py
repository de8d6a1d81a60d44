"""Facts for comparing two runs — one scenario on two backends, or two scenarios (``pool`` against
``queue-fed-pool``): start-up, speed, memory, crashes and failures.

The comparison window's table shows only what this module measures: times taken
from the runs' own events (seconds since each session started), counts from the run
models, and memory sampled from the operating system.  Nothing is estimated or
looked up, so the table never claims what the run did not show.  Plain Python, no
Qt: the window folds events and takes samples, this module says what they mean.
"""
from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass

import psutil

from core.analysis.model import CRASHED, RunModel
from core.backends import ASYNCIO, PROCESS, THREAD
from core.events import ACTOR_START, MAIN_ACTOR, PUT, RESULT_HANDLER, SUBMIT, Event
from core.scenarios import ScenarioConfig

MIB = 1024 * 1024
#: How a run ended, as the table says it.
FINISHED, STALLED, STOPPED = "finished", "stalled", "stopped"
#: Two wall times closer than this are called the same (the clock and the drain add noise).
SAME_TIME_S = 0.005
#: The consumer code of scenarios in which an actor is made to crash.
CRASHING_CODE = "consumer_crashes"

#: What the actors of each backend are, for headings and sentences.
#: One plain fact about what a crashing actor does on each backend (shown when the scenario has no crash).
CRASH_FACTS = {
    PROCESS: "a process that dies takes the task it holds with it; the queue and the other processes go on, "
             "and its exit code says how it ended (a signal shows as a negative code)",
    THREAD: "an exception ends only its own thread, and the task it holds is never marked done; a thread "
            "cannot be killed from outside, and a crash of the interpreter itself ends every thread at once",
    ASYNCIO: "an exception ends only its own task, and the item it holds is never marked done; a task that "
             "blocks without await freezes every other task on the event loop",
}


def memory_label(backends: Iterable[str]) -> str:
    """The memory row's label: what is measured differs by backend, so it says which is which."""
    parts = []
    if PROCESS in backends:
        parts.append("process: the actor processes' RSS, summed")
    in_process = [b for b in backends if b != PROCESS]
    if in_process:
        parts.append(f"{' and '.join(in_process)}: growth of JoinScope's own RSS, where those actors run "
                     "(it also holds the observing of both runs)")
    return "peak memory — " + "; ".join(parts)


class StartupClock:
    """When a run's first producer or consumer started, and when the first task was put.

    Folded from events as they arrive (it stops looking once both are known), because
    the run model keeps neither: its lanes forget old changes on long runs."""

    def __init__(self) -> None:
        self.first_worker_start: float | None = None
        self.first_put: float | None = None

    def apply(self, events: list[Event]) -> None:
        if self.first_worker_start is not None and self.first_put is not None:
            return
        for event in events:
            if self.first_worker_start is None and event.kind == ACTOR_START and event.actor != MAIN_ACTOR:
                self.first_worker_start = event.t
            elif self.first_put is None and (event.kind == PUT or event.kind == SUBMIT):
                self.first_put = event.t
            if self.first_worker_start is not None and self.first_put is not None:
                return


def rss_bytes(pid: int) -> int | None:
    """The resident set size of ``pid``, or ``None`` if it is gone (or not ours to read).

    One psutil read (of ``/proc`` on Linux, a system call elsewhere: microseconds, no waiting), so it
    may run on a GUI thread."""
    try:
        return psutil.Process(pid).memory_info().rss
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return None


class MemoryPeak:
    """The most memory a run's actors were seen to use, from samples taken while it runs.

    Processes: the sum of the live actor processes' resident set sizes (pages they
    share are counted in each).  Threads and asyncio tasks live in JoinScope's own
    process, so what can be measured is how far its RSS rose above where it stood at
    the first sample — which includes whatever else that process did meanwhile.  (The
    first sample, not the construction: a window builds and first paints its plots in
    between, and that memory is not the run's.)
    """

    def __init__(self, backend: str) -> None:
        self.in_process = backend != PROCESS
        self._own_pid = os.getpid()
        self.baseline: int | None = None
        self.peak_bytes = 0
        self.samples = 0

    def sample(self, model: RunModel) -> None:
        if self.in_process:
            now = rss_bytes(self._own_pid)
            if now is not None and self.baseline is None:
                self.baseline = now
            value = None if now is None else max(now - (self.baseline or now), 0)
        else:
            sizes = [size for size in map(rss_bytes, actor_pids(model, self._own_pid)) if size is not None]
            value = sum(sizes) if sizes else None
        if value is not None:
            self.samples += 1
            self.peak_bytes = max(self.peak_bytes, value)


def actor_pids(model: RunModel, own_pid: int) -> list[int]:
    """The processes of the run's live actors, each once (``main`` of a queue scenario plays on a thread of
    JoinScope's own; a pool's threads live in its program's process)."""
    return list(dict.fromkeys(a.pid for a in model.actors.values()
                              if a.alive and a.pid is not None and a.pid != own_pid))


@dataclass
class RunSummary:
    """Everything the table says about one run, gathered when (or while) it runs."""

    backend: str
    config: ScenarioConfig
    model: RunModel
    startup: StartupClock
    memory: MemoryPeak
    #: ``finished``, ``stalled`` or ``stopped``; ``None`` while the run goes on.
    outcome: str | None = None
    diagnosis: str | None = None
    #: What the table calls the run: its backend, or its scenario when two scenarios are compared.
    label: str = ""

    @property
    def name(self) -> str:
        return self.label or self.backend

    @property
    def completed(self) -> int:
        """Tasks completed: a pool's deliveries (its tasks), else the queue's task_done() calls."""
        pools = self.model.pools
        return sum(q.delivered for q in pools) if pools else self.model.task_dones

    @property
    def duration_s(self) -> float:
        """Run start to its last event (the session's clock: actors' exits included)."""
        return self.model.last_t

    @property
    def throughput(self) -> float | None:
        """Tasks completed per second over the whole run (see :attr:`completed`)."""
        return self.completed / self.duration_s if self.duration_s > 0 else None


def _seconds(value: float | None) -> str:
    return "—" if value is None else f"{value:.3f} s"


def _milliseconds(value: float | None) -> str:
    """Start-up times: threads start in well under a millisecond, processes in tens of them."""
    return "—" if value is None else f"{value * 1000:.1f} ms"


def outcome_text(summary: RunSummary) -> str:
    model = summary.model
    pools = model.pools
    counts = f"{model.puts} puts, {model.task_dones} task_done calls"
    if pools:
        counts = f"{sum(q.submitted for q in pools):,} tasks submitted, {summary.completed:,} delivered"
    if summary.outcome == STALLED:
        return f"stalled ({counts}): {summary.diagnosis}"
    if summary.outcome is None:
        return f"running ({counts} so far)"
    return f"{summary.outcome} ({counts})"


def memory_text(summary: RunSummary) -> str:
    memory = summary.memory
    if not memory.samples:
        return "not measured (no sample while the actors were alive)"
    value = f"{memory.peak_bytes / MIB:.1f} MiB"
    return f"+{value}" if memory.in_process else value


def failure_text(summary: RunSummary) -> str:
    """What the failing tasks of a pool run did, as the model recorded it."""
    pools = summary.model.pools
    raised = sum(q.raised for q in pools)
    if not raised:
        return "no task raised in this run" if summary.outcome is not None else "no task has raised yet"
    unheard = sum(q.unheard for q in pools)
    callbacks = sum(a.callbacks for a in summary.model.actors.values() if a.role == RESULT_HANDLER)
    heard = (f"{raised - unheard} reached an error_callback on the result handler's thread"
             if callbacks else "each was delivered to its future, for the program to ask")
    silent = f"; {unheard} reached no callback (silent until get())" if unheard else ""
    through_queue = "; task_done() was called for each, so the queue's join() still returned" \
        if summary.model.task_dones else ""
    return f"{raised:,} task(s) raised in their workers; {heard}{silent}; the run went on{through_queue}"


def crash_text(summary: RunSummary) -> str:
    """What the crash did in this run, as the model recorded it — or, with no crash in
    the scenario, one plain fact about crashes on this backend (a pool run: what its failing tasks did)."""
    if summary.config.pooled:
        return failure_text(summary)
    crashed = [a for a in summary.model.actors.values() if a.state == CRASHED]
    if not crashed:
        if summary.config.consumer_code == CRASHING_CODE and summary.outcome is not None:
            return "no actor crashed in this run"
        return CRASH_FACTS[summary.backend]
    parts = []
    for actor in crashed:
        code = "no exit code" if actor.exitcode is None else f"exit code {actor.exitcode}"
        if actor.exitcode is not None and summary.backend != PROCESS:
            code += " (set by JoinScope: a thread or task has none of its own)"
        held = actor.in_progress
        text = f"{actor.name} crashed, {code}"
        if actor.error:
            text += f", after {actor.error.split(' (at ')[0]}"
        if held == 1:
            text += "; the task it held was never marked done"
        elif held:
            text += f"; the {held} tasks it held were never marked done"
        parts.append(text)
    return "; ".join(parts)


def comparison_rows(first: RunSummary, second: RunSummary) -> list[tuple[str, str, str]]:
    """The table: (what, first run's value, second run's value), every value measured."""
    rows = [
        ("start-up: run start → first producer/consumer started",
         _milliseconds(first.startup.first_worker_start), _milliseconds(second.startup.first_worker_start)),
        ("start-up: run start → first put",
         _milliseconds(first.startup.first_put), _milliseconds(second.startup.first_put)),
        ("total wall time: run start → last event", _seconds(first.duration_s), _seconds(second.duration_s)),
    ]
    rates = [s.throughput for s in (first, second)]
    first_rate, second_rate = ("—" if r is None else f"{r:,.1f} /s" for r in rates)
    pooled = first.config.pooled or second.config.pooled
    rows.append(("throughput: tasks delivered / s over the whole run" if pooled else
                 "throughput: task_done calls / s over the whole run", first_rate, second_rate))
    rows.append((memory_label((first.backend, second.backend)), memory_text(first), memory_text(second)))
    rows.append(("outcome", outcome_text(first), outcome_text(second)))
    rows.append(("what a failure does" if pooled else "what a crash does", crash_text(first), crash_text(second)))
    return rows


def faster_line(first: RunSummary, second: RunSummary) -> str:
    """One sentence: which run was faster and by how much, if both finished."""
    runs = (first, second)
    finished = [s for s in runs if s.outcome == FINISHED]
    if len(finished) == 1:
        done = finished[0]
        other = second if done is first else first
        return (f"Only {done.name} finished ({done.duration_s:.3f} s); {other.name} {other.outcome}, "
                "so the times do not compare.")
    if not finished:
        return f"Neither run finished ({first.name} {first.outcome}, {second.name} {second.outcome}), " \
               "so neither was faster."
    fast, slow = sorted(runs, key=lambda s: s.duration_s)
    gap = slow.duration_s - fast.duration_s
    if gap < SAME_TIME_S:
        return f"Both took {fast.duration_s:.3f} s: no difference worth naming."
    ratio = f" ({slow.duration_s / fast.duration_s:.2f}× as fast)" if fast.duration_s > 0 else ""
    return (f"{fast.name} finished {gap:.3f} s sooner: {fast.duration_s:.3f} s against "
            f"{slow.duration_s:.3f} s on {slow.name}{ratio}.")
