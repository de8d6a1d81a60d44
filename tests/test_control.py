"""The run's shared bookkeeping: which producers produce, which slots are free, when the sentinels go."""
from __future__ import annotations

import multiprocessing

from core.events import PRODUCER
from core.program.control import RunControl


def _started(control: RunControl, role: str) -> int:
    slot = control.free_slot(role)
    refusal, _ = control.activate(role, slot)
    assert refusal is None
    return slot


def test_a_finished_producer_keeps_its_slot_until_its_process_has_ended():
    control = RunControl(multiprocessing.get_context("spawn"))
    first, second = _started(control, PRODUCER), _started(control, PRODUCER)
    assert control.finish_producer(first) is False  # the other one still produces
    assert control.retire(PRODUCER, first) == "it has added all its tasks already and is ending"
    added = _started(control, PRODUCER)  # a producer added while the first one's process exits
    assert added not in (first, second)
    control.release(PRODUCER, first)  # the first one's process has ended: not a producer lost
    assert control.free_slot(PRODUCER) == first
    assert control.finish_producer(second) is False  # the added one still produces
    assert control.activate(PRODUCER, control.free_slot(PRODUCER))[0] is None
    control.release(PRODUCER, first)  # ... and this one died before finishing
    assert control.finish_producer(added) is False  # the last one: but three producers ran
    refusal, _ = control.activate(PRODUCER, control.free_slot(PRODUCER))
    assert refusal == "every producer has finished and the sentinels are on their way"
