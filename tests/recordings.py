"""Recorded runs for the replay and export tests: real sessions, sped up, written as traces."""
from __future__ import annotations

from pathlib import Path

from core.scenarios import scenario
from core.trace import TraceWriter, trace_header
from tests.runs import run_scenario


def record(path: Path, name: str, **overrides: object) -> Path:
    """Run scenario ``name`` at 40x (unless ``overrides`` say otherwise) and write its trace to ``path``."""
    overrides.setdefault("speed", 40.0)
    _, events = run_scenario(name, **overrides)
    with TraceWriter(path, trace_header(scenario(name, **overrides))) as writer:
        writer.write(events)
    return path
