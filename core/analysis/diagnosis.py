"""Naming the likely cause of a stall from what the run model knows.

A run has stalled when no event came for a while and it has not finished.  The
causes worth naming are the tutorial's pitfalls: a missing ``task_done()``, a
consumer that died holding a task, too few sentinels, a full bounded queue with no
one to empty it.  The text is one line, the same in the CLI and the window.
"""
from __future__ import annotations

from core.analysis.model import (
    BLOCKED_PUT,
    CRASHED,
    EXITED,
    JOINING_PROCESS,
    STARTING,
    WAITING_GET,
    WAITING_JOIN,
    WORKING,
    ActorState,
    JoinWait,
    RunModel,
)
from core.analysis.pool_diagnosis import diagnose_pool_stall
from core.backends import PROCESS, describe
from core.events import CONSUMER, GET, TASK_DONE, describe_item
from core.scenarios import ScenarioConfig

#: A run in which every live actor waits (in get(), put() or join()) and nothing has
#: happened for this long is stalled, whatever the scenario's timeout: nobody is left
#: who could wake anyone.
EVERYONE_WAITS_S = 1.0
_WAITING = frozenset({WAITING_GET, BLOCKED_PUT, WAITING_JOIN, JOINING_PROCESS})
#: How long a launched process may take to start before the run's silence counts: a spawned
#: process is a new interpreter importing its modules, which takes a second or more on a busy
#: machine, and longer on a slow laptop (Windows and macOS start processes by spawn).  Nothing
#: can happen before it has started, so that wait is no stall of the program.
START_UP_ALLOWANCE_S = 30.0


def everyone_waits(model: RunModel) -> bool:
    """Every live actor is blocked in a queue or join call (and at least one is alive), and no
    pool holds tasks not yet delivered: a pool's own threads (its task and result handlers) are
    no actors, and move its tasks on while every actor waits."""
    alive = [a for a in model.actors.values() if a.alive]
    if any(queue.is_pool and queue.unfinished > 0 for queue in model.queues.values()):
        return False
    return bool(alive) and all(a.state in _WAITING for a in alive)


def stall_timeout(config: ScenarioConfig, model: RunModel) -> float:
    """How long a quiet run may stay quiet before it is stalled: the scenario's timeout,
    or :data:`EVERYONE_WAITS_S` when every actor already waits for another — and at least
    :data:`START_UP_ALLOWANCE_S` while a launched process is still starting."""
    if any(actor.state == STARTING and actor.pid is not None for actor in model.actors.values()):  # launched
        return max(config.stall_timeout_s, START_UP_ALLOWANCE_S)
    if everyone_waits(model):
        return min(EVERYONE_WAITS_S, config.stall_timeout_s)
    return config.stall_timeout_s


def diagnose(model: RunModel, quiet_for_s: float, backend: str = PROCESS) -> str:
    """One line: who waits for what, and the likely reason it will never happen."""
    on_pool = diagnose_pool_stall(model, quiet_for_s)
    if on_pool is not None:
        return on_pool
    waits = model.open_joins()
    queue_wait = next((w for w in waits if w.on_queue), None)
    process_wait = next((w for w in waits if not w.on_queue), None)
    consumers = _consumers(model)
    live_consumers = [c for c in consumers if c.alive]
    working = [a for a in model.actors.values() if a.alive and a.state == WORKING]
    if working:
        slow = working[0]
        return (f"no event for {quiet_for_s:.1f} s: {slow.name} is still working on "
                f"{describe_item(slow.last_item) if slow.in_progress else 'a task'} — the run may just be slow "
                f"(raise --timeout)")
    if queue_wait is not None:
        return _diagnose_queue_join(model, queue_wait, backend)
    if process_wait is not None:
        target = model.actors.get(process_wait.target)
        if target is not None and target.state == WAITING_GET:
            idle = [c.name for c in live_consumers if c.state == WAITING_GET]
            queue = next(iter(model.queues.values()), None)
            sent = queue.sentinels_put if queue else 0
            return (f"{process_wait.actor} waits in join() for {_names(idle)}, idle in get() on an empty queue: "
                    f"they never received a sentinel ({sent} None sent for {len(consumers)} consumers)")
        if target is not None and target.state == BLOCKED_PUT:
            return _diagnose_full_queue(model, target, live_consumers)
        if target is not None:
            return f"{process_wait.actor} waits in join() for {target.name}, which is {target.state}"
    blocked = [a for a in model.actors.values() if a.alive and a.state == BLOCKED_PUT]
    if blocked:
        return _diagnose_full_queue(model, blocked[0], live_consumers)
    states = ", ".join(f"{a.name} {a.state}" for a in model.actors.values() if a.alive)
    return f"no event for {quiet_for_s:.1f} s; {states or 'no actor is alive'}"


def _diagnose_queue_join(model: RunModel, wait: JoinWait, backend: str) -> str:
    queue = model.queues.get(wait.target)
    unfinished = queue.unfinished if queue else 0
    depth = queue.depth if queue else 0
    head = f"{wait.actor}'s {wait.target}.join() waits with unfinished={unfinished}"
    takers = _consumers(model, wait.target)
    live_consumers = [c for c in takers if c.alive and c.name != wait.actor]
    crashed = [a for a in takers if a.state == CRASHED and a.in_progress and a.last_item is not None]
    if crashed:
        dead = crashed[0]
        held = describe_item(dead.last_item)
        how = f"exit code {dead.exitcode}" if backend == PROCESS else f"its {describe(backend).unit} died"
        return (f"{head}: {dead.name} crashed ({how}) holding task {held}, "
                f"whose task_done() will never come")
    if depth > 0 and not live_consumers:
        return f"{head}: {depth} item(s) are still queued but every consumer has exited" + _falsy_exit(takers)
    blocked = [a for a in model.actors.values() if a.alive and a.state == BLOCKED_PUT]
    if blocked:
        return _diagnose_full_queue(model, blocked[0], live_consumers)
    missing = unfinished - depth
    if missing > 0:
        holding = [(a.name, model.taken[(a.name, wait.target, GET)], model.taken[(a.name, wait.target, TASK_DONE)])
                   for a in takers]
        who = "; ".join(f"{name} got {got} item(s) and marked {done} done" for name, got, done in holding
                        if got > done)
        idle = "every consumer is idle in get()" if live_consumers and all(
            c.state == WAITING_GET for c in live_consumers) else "no task is in progress"
        return (f"{head} while the queue holds {depth} and {idle}: {missing} task_done() call(s) are missing"
                + (f" ({who})" if who else ""))
    return f"{head}; {depth} item(s) queued and no consumer takes them"


def _falsy_exit(consumers: list[ActorState]) -> str:
    """Why a consumer left its loop early: it got a falsy task (``while task := queue.get():``)."""
    early = [c for c in consumers if c.state == EXITED and c.last_item is not None and not c.last_item]
    if not early:
        return ""
    quitter = early[0]
    return (f" — {quitter.name} left its loop on {describe_item(quitter.last_item)}, a falsy task: "
            "`while task := queue.get():` stops at 0, '' and () as it does at None")


def _diagnose_full_queue(model: RunModel, blocked: ActorState, live_consumers: list[ActorState]) -> str:
    queue = next(iter(model.queues.values()), None)
    depth = queue.depth if queue else "?"
    if not live_consumers:
        return f"{blocked.name} is blocked in put() on a full queue (depth {depth}) and no consumer is left to empty it"
    return f"{blocked.name} is blocked in put() on a full queue (depth {depth}) while the consumers do not take items"


def _consumers(model: RunModel, queue: str | None = None) -> list[ActorState]:
    """Who takes tasks (from ``queue``, if given): a scenario's consumers, and in a traced
    program (whose processes are named as it likes) every actor that got an item."""
    if queue is None:
        return [a for a in model.actors.values() if a.role == CONSUMER or a.gets > 0]
    return [a for a in model.actors.values() if a.role == CONSUMER or model.taken[(a.name, queue, GET)] > 0]


def _names(names: list[str]) -> str:
    if not names:
        return "its consumers"
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
