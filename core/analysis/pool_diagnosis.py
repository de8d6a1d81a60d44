"""Naming what went wrong with a pool: its classic pitfalls, from what the run model knows.

Two kinds of answer, each one line, the same in the command line and the window:

- :func:`diagnose_pool_stall`: a run went quiet while something waits on a pool — a task
  that never returns keeps ``join()`` (or ``get()``, ``shutdown()``…) waiting;
- :func:`pool_findings`: what a run that went on showed anyway — failures no callback heard
  of (no ``error_callback``: they surface only at ``get()``), ``join()`` called before
  ``close()`` (``ValueError``), a ``map()`` that read its whole iterable into a list first.
"""
from __future__ import annotations

from core.analysis.model import WORKING, RunModel
from core.analysis.pool_narration import WHOLE_POOL_CALLS

#: The ``error`` a pool reports for ``join()`` before ``close()`` begins with this.
STILL_RUNNING = "ValueError: Pool is still running"


def diagnose_pool_stall(model: RunModel, quiet_for_s: float) -> str | None:
    """Who waits on which pool, and the worker whose task keeps it waiting (``None``: no pool is waited on)."""
    waits = [w for w in model.open_joins() if w.on_queue and model.queues.get(w.target) is not None
             and model.queues[w.target].is_pool]
    if not waits:
        return None
    wait = waits[0]
    pool = model.queues[wait.target]
    now = model.last_t + quiet_for_s
    busy = [a for a in model.actors.values() if a.alive and a.state == WORKING and a.started]
    call = wait.call or "join()"
    where = f"{wait.target}.{call}" if call in WHOLE_POOL_CALLS else f"{call} on {wait.target}"
    head = f"{wait.actor}'s {where} waits with {pool.unfinished:,} task(s) not delivered ({pool.depth:,} not started)"
    if busy:
        worker = min(busy, key=lambda a: a.since)
        return (f"{head}: {worker.name} has been running task {worker.last_item} for {now - worker.since:.1f} s "
                "and never finished it — a task that never returns keeps the pool waiting (get(timeout=…) and "
                "terminate() end it)")
    if pool.depth and not any(a.alive and a.started for a in model.actors.values()):
        return f"{head}: no worker is left to take them"
    return f"{head}; no event for {quiet_for_s:.1f} s"


def pool_findings(model: RunModel) -> list[str]:
    """What the run showed about its pools' pitfalls, one line each (empty: nothing to say)."""
    findings = []
    for pool in model.queues.values():
        if not pool.is_pool:
            continue
        if pool.unheard:
            findings.append(f"{pool.unheard} task(s) of {pool.name} raised and no callback heard of it: without "
                            "error_callback= a failure is silent until get() is called on its result")
        for count, seconds in pool.listed:
            findings.append(f"map() on {pool.name} read all {count:,} items into a list ({seconds:.2f} s) before "
                            "it submitted a task: a generator has no len(); imap()/imap_unordered() with a "
                            "chunksize read it as the workers need it")
    for error in model.errors:
        if error.queue is not None and error.error and error.error.startswith(STILL_RUNNING):
            findings.append(f"{error.actor} called join() on {error.queue} before close(): ValueError — close() "
                            "says no more tasks are coming, then join() waits for the workers to finish them")
    return findings
