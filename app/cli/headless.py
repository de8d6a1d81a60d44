"""``joinscope run``: play a scenario with no window, narrate it, record it.

The loop polls the session, folds events into the run model, prints one narrated
line per event with the live counts, writes the trace as it goes (so a stall, a
Ctrl-C or a SIGTERM still leaves a valid file), and ends with a summary.  A run
that goes quiet for the stall timeout is stopped with a diagnosis (exit code 3).
"""
from __future__ import annotations

import argparse
import sys
from typing import TextIO

from app.cli.exit_codes import (
    EXIT_BAD_INPUT,
    EXIT_INTERRUPTED,
    EXIT_NOT_STARTED,
    EXIT_OK,
    EXIT_STALLED,
    EXIT_TERMINATED,
)
from app.cli.output_files import write_refusal
from app.cli.pipe_output import PipeSafeOutput
from core.analysis.model import JoinWait, RunModel
from core.analysis.narrate import Narrator, counts_suffix
from core.analysis.pool_diagnosis import pool_findings
from core.analysis.pool_narration import WHOLE_POOL_CALLS
from core.analysis.units import SECONDS
from core.backends import PROCESS, describe
from core.events import Event
from core.recordings.trace import TraceWriter, trace_header
from core.scenarios import SCENARIOS, ScenarioConfig, default_pool_workers, refusal_here, scenario
from core.sessions import open_session
from core.sessions.pools import NO_STEPS
from core.sessions.runner import COMPLETED, STALLED, NotStarted, RunResult, Terminated, run_session
from core.system import handle_stop_signals
from core.teaching.step_narration import StepNarrator

_OVERRIDES = ("producers", "consumers", "tasks", "work_ms", "interval_ms", "speed", "maxsize", "seed",
              "start_method", "stall_timeout_s", "backend", "workers")


def config_from_args(args: argparse.Namespace, parser: argparse.ArgumentParser) -> ScenarioConfig:
    if args.scenario not in SCENARIOS:
        parser.error(f"argument --scenario: unknown scenario {args.scenario!r} (choose from {', '.join(SCENARIOS)})")
    overrides = {name: getattr(args, name) for name in _OVERRIDES
                 if hasattr(args, name) and (getattr(args, name) is not None or name == "work_ms")}
    try:
        config = scenario(args.scenario, **overrides)
    except ValueError as error:
        parser.error(str(error))
    if config.pooled and getattr(args, "step", None):
        parser.error(f"argument --step: {NO_STEPS} (scenario {config.name!r} runs a pool)")
    refusal = refusal_here(config)
    if refusal is not None:
        parser.error(refusal)
    return config


def _open_trace(args: argparse.Namespace, parser: argparse.ArgumentParser, config: ScenarioConfig
                ) -> TraceWriter | None:
    if not args.record:
        return None
    refusal = write_refusal(args.record, overwrite=args.overwrite)
    if refusal is not None:
        parser.error(f"argument --record: {refusal}")
    try:
        step = getattr(args, "step", None)
        return TraceWriter(args.record, trace_header(config, step=step) if step else trace_header(config))
    except OSError as error:
        parser.error(f"argument --record: cannot write {args.record}: {error.strerror or error}")


def run_headless(args: argparse.Namespace, parser: argparse.ArgumentParser, out: TextIO | None = None) -> int:
    # sys.stdout looked up now, not at import: it may have been replaced since (pytest's capture does).
    out = PipeSafeOutput(out if out is not None else sys.stdout)  # type: ignore[assignment]
    config = config_from_args(args, parser)
    writer = _open_trace(args, parser, config)
    model = RunModel(expected_producers=config.producers)
    narrator = Narrator(model, config.maxsize, config.backend)
    print(f"JoinScope · {config.name}: {config.title} ({_cast(config)})", file=out)

    steps = StepNarrator(model, config.maxsize, config.backend) if getattr(args, "step", None) else None

    def show(events: list[Event]) -> None:
        if writer is not None:
            writer.write(events)
        if args.quiet:
            return
        if steps is None:
            _print_events(events, narrator, out)
        else:
            steps.feed(events)
            _print_steps(steps, out, final=False)

    received: list[type] = []
    restore_signals = handle_stop_signals(lambda: received.append(KeyboardInterrupt),
                                          lambda: received.append(Terminated))
    try:
        with open_session(config, step=getattr(args, "step", None)) as session:
            result = run_session(session, model, show, interrupted=lambda: received[0] if received else None)
    except NotStarted as why:  # the session is closed: nothing of the run is left
        print(f"joinscope run: could not start the run: {why}", file=sys.stderr)
        return EXIT_NOT_STARTED
    finally:
        restore_signals()
        if writer is not None:
            writer.close()
    if steps is not None and not args.quiet:
        _print_steps(steps, out, final=True)
    _summarise(result, config, args.record, out)
    if result.outcome == STALLED:
        return EXIT_STALLED
    if result.interrupted_by is Terminated:
        return EXIT_TERMINATED
    if result.interrupted_by is not None:
        return EXIT_INTERRUPTED
    return EXIT_OK


def _cast(config: ScenarioConfig) -> str:
    """Who runs: the producers and consumers, or the pool's workers and its tasks."""
    if config.pooled:
        workers = config.workers or f"cpu_count() - 1 = {default_pool_workers()}"
        return f"a pool of {workers} worker process(es), {config.tasks:,} tasks, {config.start_method}"
    return f"{config.producers} producer(s), {config.consumers} consumer(s), {_actors_are(config)}"


def _actors_are(config: ScenarioConfig) -> str:
    """What the actors are: processes (and how they start), threads or asyncio tasks."""
    return config.start_method if config.backend == PROCESS else describe(config.backend).actors


def _print_events(events: list[Event], narrator: Narrator, out: TextIO) -> None:
    lines = []
    for event in events:
        text = narrator.line(event)
        if text is not None:
            lines.append(f"{event.t:8.3f} s  {text:<64} {counts_suffix(event)}".rstrip())
    if lines:
        out.write("\n".join(lines) + "\n")
        out.flush()


def _print_steps(steps: StepNarrator, out: TextIO, final: bool) -> None:
    """The story of each step that is over (a step lasts until the next is granted)."""
    finished = steps.steps if final else steps.steps[:-1]
    for step in finished[steps.told:]:
        operation, target, function, line = step.operation
        call = f"{target}.{operation}()" if operation in ("put", "get", "task_done", "join") and target else \
            f"{operation}"
        out.write(f"step {step.number:>3}  {step.actor:<11} {call:<20} {function}:{line}\n"
                  f"          {steps.story(step)}\n")
    steps.told = max(steps.told, len(finished))
    out.flush()


def _summarise(result: RunResult, config: ScenarioConfig, record: str | None, out: TextIO) -> None:
    model = result.model
    outcome = {COMPLETED: "completed", STALLED: "STALLED"}.get(result.outcome, "interrupted")
    print(f"\n{config.name} {outcome} in {result.duration_s:.2f} s", file=out)
    if result.diagnosis:
        print(f"Diagnosis: {result.diagnosis}", file=out)
    pools = model.pools
    if not pools or len(pools) < len(model.queues):
        print(f"  puts {model.puts} · gets {model.gets} · task_done calls {model.task_dones} · "
              f"errors {len(model.errors)}", file=out)
    for pool in pools:
        cancelled = f" · {pool.cancelled} cancelled" if pool.cancelled else ""
        print(f"  {pool.name}: {pool.submitted:,} submitted · {pool.started:,} started · {pool.delivered:,} "
              f"delivered ({pool.raised:,} raised){cancelled} · {pool.callbacks:,} callbacks", file=out)
    _summarise_pool_waits([w for w in model.joins if w.call is not None], out)
    for wait in model.joins:
        if not wait.on_queue or wait.call is not None:
            continue
        how = ("returned at once (unfinished was 0)" if wait.released_by is None
               else f"waited {SECONDS.span(wait.waited)}, released by task_done #{wait.released_by}")
        race = f"; {', '.join(wait.producers_unfinished)} had not finished" if wait.producers_unfinished else ""
        print(f"  {wait.actor}'s {wait.target}.join(): {how}{race}", file=out)
    for wait in model.open_joins():
        print(f"  {wait.actor} was still waiting in join() on {wait.target}", file=out)
    for error in model.errors:
        print(f"  error in {error.actor}: {error.error}", file=out)
    for finding in pool_findings(model):
        print(f"  Finding: {finding}", file=out)
    if record:
        print(f"  trace: {record} ({model.events_seen} events)", file=out)


def _summarise_pool_waits(waits: list[JoinWait], out: TextIO) -> None:
    """Each kind of wait on a pool in one line: a pool's as_completed() can wait thousands of times."""
    kinds: dict[tuple[str, str, str], list[JoinWait]] = {}
    for wait in waits:
        kinds.setdefault((wait.actor, wait.target, wait.call or "join()"), []).append(wait)
    for (actor, target, call), same in kinds.items():
        where = f"{target}.{call}" if call in WHOLE_POOL_CALLS else f"{call} on {target}"
        total = sum(w.waited or 0.0 for w in same)
        released = [w.released_by for w in same if w.released_by is not None]
        if len(same) == 1:
            how = f"released by delivery #{released[0]}" if released else "nothing left undelivered to wait for"
            print(f"  {actor}'s {where}: waited {SECONDS.span(same[0].waited)}, {how}", file=out)
        else:
            print(f"  {actor} waited in {where} {len(same):,} times ({total:.2f} s in all), {len(released):,} of "
                  "them released by a delivery", file=out)


__all__ = ["EXIT_BAD_INPUT", "config_from_args", "run_headless"]
