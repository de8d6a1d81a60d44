"""The merger: one numbered stream out of many, each queue's operations in order."""
from __future__ import annotations

from core.events import ERROR, GET, JOIN_ENTER, JOIN_RETURN, PUT, TASK_DONE
from core.queues.merge import EXIT_GRACE_S, HOLD_S, EventMerger

T0 = 100.0


def record(t, kind, op, depth, unfinished, actor="p", queue="q", released_by=None, waited=None):
    base = (T0 + t, kind, actor, 1, queue, op, None, depth, unfinished)
    if kind == JOIN_RETURN:
        return base + (released_by, waited, None, None)
    return base


def test_batches_from_two_processes_come_out_numbered_in_queue_order():
    merger = EventMerger(T0)
    consumer = [record(0.020, GET, 2, 0, 1, "c"), record(0.030, TASK_DONE, 3, 0, 0, "c")]
    producer = [record(0.010, PUT, 1, 1, 1, "p")]
    merger.add(consumer)  # the consumer's batch arrives first
    merger.add(producer)
    events = merger.pop_ready(now=T0 + 1.0)
    assert [(e.seq, e.kind, e.op) for e in events] == [(1, PUT, 1), (2, GET, 2), (3, TASK_DONE, 3)]
    assert [round(e.t, 9) for e in events] == [0.010, 0.020, 0.030]
    assert events[0].released_by is None and len(events[0]) == 14


def test_the_newest_records_are_held_back_for_late_batches():
    merger = EventMerger(T0)
    merger.add([record(0.0, PUT, 1, 1, 1)])
    assert merger.pop_ready(now=T0 + HOLD_S / 2) == []
    assert len(merger.pop_ready(now=T0 + 2 * HOLD_S)) == 1


def test_a_missing_operation_of_a_live_process_is_waited_for_however_long():
    merger = EventMerger(T0)
    merger.add([record(0.0, PUT, 1, 1, 1), record(0.2, TASK_DONE, 3, 0, 0, "c")])
    assert [e.op for e in merger.pop_ready(now=T0 + 1)] == [1]
    assert merger.pop_ready(now=T0 + 60) == []  # op 2 is somewhere in a live process's buffer
    merger.add([record(0.1, GET, 2, 0, 1, "c")])
    assert [e.op for e in merger.pop_ready(now=T0 + 61)] == [2, 3]
    assert merger.lost_ops == 0


def test_operations_of_a_process_that_died_are_given_up_after_its_exit():
    merger = EventMerger(T0)
    merger.add([record(0.0, PUT, 1, 1, 1), record(0.0, PUT, 2, 2, 2), record(0.3, TASK_DONE, 5, 0, 1, "c")])
    assert [e.op for e in merger.pop_ready(now=T0 + 1)] == [1, 2]
    merger.note_exit(now=T0 + 2)
    assert merger.pop_ready(now=T0 + 2 + EXIT_GRACE_S / 2) == []  # the survivors may still flush
    events = merger.pop_ready(now=T0 + 2 + 2 * EXIT_GRACE_S)
    assert [e.kind for e in events] == [ERROR, TASK_DONE]
    assert "2 operation(s) of q were never reported" in events[0].error and merger.lost_ops == 2
    merger.add([record(0.1, GET, 3, 1, 2, "dead")])  # a straggler after all: dropped, already counted
    assert merger.pop_ready(final=True) == []


def test_join_return_names_the_seq_of_the_task_done_that_released_it():
    merger = EventMerger(T0)
    merger.add([record(0.0, PUT, 1, 1, 1), record(0.1, JOIN_ENTER, 2, 1, 1, "main"),
                record(0.2, GET, 3, 0, 1, "c"), record(0.3, TASK_DONE, 4, 0, 0, "c"),
                record(0.4, JOIN_RETURN, 5, 0, 0, "main", released_by=4, waited=0.3)])
    events = merger.pop_ready(final=True)
    done = next(e for e in events if e.kind == TASK_DONE)
    returned = next(e for e in events if e.kind == JOIN_RETURN)
    assert returned.released_by == done.seq == 4 and returned.waited == 0.3


def test_a_tie_in_time_that_puts_a_queues_ops_out_of_order_is_sorted_by_op():
    merger = EventMerger(T0)
    # Two processes read the same clock tick: by time alone the get (op 3) could come first.
    merger.add([record(0.010, PUT, 1, 1, 1, "p"), record(0.020, TASK_DONE, 3, 0, 0, "c"),
                record(0.020, GET, 2, 0, 1, "c"), record(0.030, PUT, 4, 1, 1, "p")])
    events = merger.pop_ready(now=T0 + 1.0)
    assert [(e.seq, e.op) for e in events] == [(1, 1), (2, 2), (3, 3), (4, 4)]


def test_a_record_waiting_for_a_missing_op_holds_back_only_what_follows_it():
    """No tie at the head: nothing to re-sort, the merger waits (and sorts a later tie when it is reached)."""
    merger = EventMerger(T0)
    merger.add([record(0.010, PUT, 1, 1, 1, "p"), record(0.030, TASK_DONE, 3, 0, 0, "c"),
                record(0.040, PUT, 5, 1, 1, "p"), record(0.040, PUT, 4, 0, 0, "p")])
    assert [e.op for e in merger.pop_ready(now=T0 + 1.0)] == [1]
    merger.add([record(0.020, GET, 2, 0, 1, "c")])
    assert [e.op for e in merger.pop_ready(now=T0 + 2.0)] == [2, 3, 4, 5]
    assert merger.lost_ops == 0
