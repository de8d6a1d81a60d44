"""Events written a block of columns at a time are the same lines as events written one by one."""
from __future__ import annotations

import core.sessions.base
import core.tracing.session
from core.queues.merge import EventMerger
from core.recordings.trace import TraceWriter, check_counts, read_trace, trace_header
from core.scenarios import ScenarioConfig
from core.tracing.blocks import BlockMerger, BlockTraceWriter
from core.tracing.summary import TraceSummary


def _records(t0: float) -> list[tuple]:
    """Two queues, two producers, plain items and not, waits, joins, an exit: every path of the writer."""
    records = []
    counts = {"q1": [0, 0, 0], "q2": [0, 0, 0]}
    t = t0

    def op(kind: str, actor: str, queue: str, item: object = None, **extra: object) -> None:
        nonlocal t
        t += 0.000_001
        c = counts[queue]
        c[0] += 1
        c[1] += {"put": 1, "get": -1}.get(kind, 0)
        c[2] += {"put": 1, "task_done": -1}.get(kind, 0)
        record = (t, kind, actor, 7 if actor == "main" else 8, queue, c[0], item, c[1], c[2])
        if extra:
            record += (extra.get("released_by"), extra.get("waited"), None, None)
        records.append(record)

    for i in range(300):
        op("put", "producer" if i % 7 else "prodúcteur", "q1", i if i % 5 else -i * 2**70)
        op("put", "main", "q2", ("task", i * 0.5) if i % 3 else f"text {i} \"quoted\" é \udcff")
    op("get_wait", "Process-2", "q1")
    for i in range(300):
        op("get", "Process-2", "q1", i)
        op("task_done", "Process-2", "q1")
        op("get", "Process-2", "q2", None if i % 2 else True)
        op("task_done", "Process-2", "q2")
    op("join_enter", "main", "q1")
    op("join_return", "main", "q1", released_by=None, waited=0.0)
    t += 0.001
    records.append((t, "actor_exit", "main", 7, None, 0, "main", None, None, None, None, None, 0))
    return records


def test_blocks_write_the_same_file_as_events(tmp_path):
    header = trace_header(ScenarioConfig(name="trace", producers=0, consumers=0, tasks=0))
    records = _records(1000.0)
    paths = []
    summaries = []
    for blocks in (False, True):
        merger = BlockMerger(1000.0) if blocks else EventMerger(1000.0)  # the scenario runner's, as it is
        path = tmp_path / f"{'blocks' if blocks else 'events'}.jsonl"
        summary = TraceSummary()
        with (BlockTraceWriter if blocks else TraceWriter)(path, header) as writer:
            for start in range(0, len(records), 250):  # in batches, as they arrive
                merger.add(records[start:start + 250])
                if blocks:
                    ready = merger.pop_ready_blocks(now=2000.0)
                    writer.write_blocks(ready)
                    summary.add_blocks(ready)
                else:
                    ready = merger.pop_ready(now=2000.0)
                    writer.write(ready)
                    summary.add(ready)
        paths.append(path)
        summaries.append(summary)
    assert paths[0].read_bytes() == paths[1].read_bytes()
    events = read_trace(paths[1]).events
    assert len(events) == len(records) and check_counts(events) is None
    assert list(summaries[0].lines()) == list(summaries[1].lines())
    assert summaries[1].queues == {"q1": (0, 0), "q2": (0, 0)} and summaries[1].kinds["put"] == 600


def test_a_block_merger_hands_out_the_same_events():
    records = _records(1000.0)
    plain, blocks = EventMerger(1000.0), BlockMerger(1000.0)
    got_plain, got_blocks = [], []
    for start in range(0, len(records), 333):
        plain.add(records[start:start + 333])
        blocks.add(records[start:start + 333])
        got_plain += plain.pop_ready(now=2000.0)
        got_blocks += blocks.pop_ready(now=2000.0)
    assert got_blocks == got_plain and len(got_plain) == len(records)


def test_trace_sessions_speak_the_session_states_the_window_reads():
    for state in ("NEW", "RUNNING", "FINISHED", "STOPPED"):
        assert getattr(core.tracing.session, state) == getattr(core.sessions.base, state)


def test_plain_queue_operations_take_the_column_path(tmp_path, monkeypatch):
    records = [r for r in _records(1000.0) if r[4] == "q1" and r[1] in ("put", "get", "task_done", "get_wait")]
    merger = BlockMerger(1000.0)
    merger.add(records)
    blocks = merger.pop_ready_blocks(final=True)
    header = trace_header(ScenarioConfig(name="trace", producers=0, consumers=0, tasks=0))
    with BlockTraceWriter(tmp_path / "fast.jsonl", header) as writer:
        monkeypatch.setattr(writer, "write", lambda events: (_ for _ in ()).throw(AssertionError("slow path")))
        writer.write_blocks(blocks)
        assert writer.events_written == len(records)
    assert check_counts(read_trace(tmp_path / "fast.jsonl").events) is None


def test_the_summary_counts_each_actors_gets_and_task_done_calls_in_mixed_blocks():
    """One actor on one queue, several actors, several queues, events with no queue: the same counts
    as counting every (kind, actor, queue) one by one."""
    from collections import Counter

    from core.events import Event

    events = []
    for i, (kind, actor, queue) in enumerate(
            [("put", "p", "q1"), ("get", "c1", "q1"), ("get", "c2", "q1"), ("task_done", "c1", "q1"),
             ("get", "c1", "q2"), ("join_enter", "main", None), ("put", "p", "q2"), ("get", "c2", "q2"),
             ("task_done", "c2", "q2"), ("get", "c1", "q1"), ("join_enter", "main", "q1")] * 3):
        counted = queue is not None
        events.append(Event(i + 1, 0.0, kind, actor, 1, queue, i + 1 if counted else 0, "x",
                            i % 3 if counted else None, i % 4 if counted else None))
    expected = Counter((e.kind, e.actor, e.queue) for e in events if e.kind in ("get", "task_done"))
    for size in (1, 2, 5, len(events)):
        summary = TraceSummary()
        for start in range(0, len(events), size):
            summary.add(events[start:start + size])
        assert summary.by_actor == expected
        assert summary.kinds == Counter(e.kind for e in events)
        assert summary.queues == {e.queue: (e.depth, e.unfinished) for e in events if e.queue is not None}
        assert summary.open_joins == {"main": ("q1", True)}
        assert list(summary.lines())[-2:] == ["  c1 got 6 item(s) from q1 and called task_done() 3 time(s)",
                                            "  c2 got 3 item(s) from q1 and called task_done() 0 time(s)"]
