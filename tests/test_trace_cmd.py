"""``joinscope trace`` on real programs: output and exit codes unchanged, traces exact, bad input, signals."""
from __future__ import annotations

import multiprocessing
import os
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import psutil
import pytest

from core.analysis.model import STOPPED, RunModel
from core.analysis.narrate import Narrator
from core.analysis.outcome import judge
from core.events import ACTOR_EXIT, ERROR, GET, JOIN_RETURN, PUT, TASK_DONE
from core.recordings.replay import ReplayCursor, load_recording
from core.recordings.trace import check_counts, read_trace
from tests.signals import CAN_INTERRUPT_A_GROUP, OWN_GROUP, TERMINATED, ask_to_end, interrupt, interrupt_group

ROOT = Path(__file__).resolve().parent.parent
PROGRAMS = ROOT / "tests" / "programs"
NOTE = "joinscope: "


def available(*methods: str) -> list[str]:
    """Those of ``methods`` a user's program can start processes with here (Windows: spawn only)."""
    return [method for method in methods if method in multiprocessing.get_all_start_methods()]


METHODS = available("spawn", "forkserver", "fork")
#: A start method for programs that take one: fork where there is fork (macOS has it, if unsafe).
FORK_IF_ANY = available("fork", "spawn")[0]


def plain(program: str, *args: str, timeout: float = 30) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(PROGRAMS / program), *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=timeout)


def traced(*args: str, timeout: float = 30) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "app", "trace", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout)


def own_and_notes(stderr: str) -> tuple[str, list[str]]:
    """The program's standard error, and JoinScope's notes that follow it."""
    lines = stderr.splitlines(keepends=True)
    cut = len(lines)
    while cut and lines[cut - 1].startswith(NOTE):
        cut -= 1
    return "".join(lines[:cut]), [line[len(NOTE):].rstrip("\n") for line in lines[cut:]]


def trace_and_compare(tmp_path: Path, program: str, *args: str) -> tuple[list, list[str], subprocess.CompletedProcess]:
    """Run ``program`` plainly and traced; the output and exit code must match.  The events and notes."""
    record = tmp_path / "run.jsonl"
    expected = plain(program, *args)
    result = traced("--no-gui", "--record", str(record), str(PROGRAMS / program), *args)
    stderr, notes = own_and_notes(result.stderr)
    assert result.stdout == expected.stdout
    assert stderr == expected.stderr
    assert result.returncode == expected.returncode, result.stderr
    assert notes and notes[-1] == f"trace: {record}"
    trace = read_trace(record)
    assert not trace.warnings
    assert trace.header["format"] == "joinscope-trace" and trace.header["scenario"]["name"] == "trace"
    return trace.events, notes, result


def assert_exact(events: list) -> Counter:
    """``seq`` contiguous from 1, every queue's counts replaying exactly; the counts by kind."""
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    assert check_counts(events) is None
    assert not any(e.actor == "joinscope" and e.kind == "error" for e in events), "an operation was lost"
    return Counter(e.kind for e in events)


def actors(events: list) -> set[str]:
    return {e.actor for e in events}


@pytest.mark.parametrize("method", METHODS)
def test_module_attribute_queue_is_traced_exactly(tmp_path, method):
    events, notes, _ = trace_and_compare(tmp_path, "plain_module.py", method, "30")
    kinds = assert_exact(events)
    assert kinds[PUT] == kinds[GET] == kinds[TASK_DONE] == 31  # 30 tasks and the sentinel
    assert actors(events) == {"main", "producer", "Process-2"}
    assert {e.actor for e in events if e.kind == PUT} == {"producer"}
    assert {e.actor for e in events if e.kind == GET} == {"Process-2"}
    exits = {e.actor: e.exitcode for e in events if e.kind == ACTOR_EXIT}
    assert exits == {"main": 0, "producer": 0, "Process-2": 0}
    queue_join = [e for e in events if e.kind == JOIN_RETURN and e.queue == "queue-1"]
    assert len(queue_join) == 1 and queue_join[0].unfinished == 0
    assert "31 · gets 31 · task_done calls 31" in notes[0]


@pytest.mark.parametrize("method", METHODS)
def test_from_import_queues_are_traced_exactly(tmp_path, method):
    events, notes, _ = trace_and_compare(tmp_path, "from_import.py", method, "25")
    kinds = assert_exact(events)
    assert kinds[PUT] == 25 + 2 + 25  # tasks, two sentinels, results
    assert kinds[GET] == kinds[TASK_DONE] == kinds[PUT]
    assert actors(events) == {"main", "worker-a", "worker-b"}
    assert {e.queue for e in events if e.queue} == {"queue-1", "queue-2"}
    assert {e.actor for e in events if e.kind == PUT and e.queue == "queue-1"} == {"main"}
    assert "on 2 queue(s)" in notes[0]


@pytest.mark.parametrize("method", METHODS)
def test_context_queues_are_traced_exactly(tmp_path, method):
    events, _, result = trace_and_compare(tmp_path, "context_queue.py", method, "40")
    kinds = assert_exact(events)
    assert kinds[PUT] == kinds[GET] == kinds[TASK_DONE] == 41
    assert max(e.depth for e in events if e.queue) <= 3  # the bound holds in the counts too
    kind = {"spawn": "SpawnProcess", "forkserver": "ForkServerProcess", "fork": "ForkProcess"}[method]
    assert actors(events) == {"main", f"{kind}-1", f"{kind}-2"}  # the context's own process names
    assert f"{method}: exit codes [0, 0]" in result.stdout


def test_a_queue_created_in_a_spawned_child_is_traced(tmp_path):
    events, _, _ = trace_and_compare(tmp_path, "nested.py", "spawn")
    kinds = assert_exact(events)
    assert kinds[PUT] == kinds[GET] == kinds[TASK_DONE] == 3
    child = {e.queue for e in events if e.queue}
    assert len(child) == 1 and next(iter(child)).startswith("queue-1@")  # named in the child that made it
    assert {e.actor for e in events if e.kind == PUT} == {"grandchild"}
    assert {e.actor for e in events if e.kind == GET} == {"child"}


@pytest.mark.parametrize("method", METHODS)
def test_workers_a_pool_terminates_report_every_operation(tmp_path, method):
    events, _, _ = trace_and_compare(tmp_path, "pool_workers.py", method)
    kinds = assert_exact(events)  # nothing lost when the pool's exit terminates its workers
    assert kinds[PUT] == kinds[GET] == kinds[TASK_DONE] == 12
    # The pool's workers are its lanes worker-0..2 (their processes keep the names the program sees).
    assert {e.actor for e in events if e.kind == PUT} <= {"worker-0", "worker-1", "worker-2"}


@pytest.mark.parametrize("method", METHODS)
def test_a_worker_terminated_right_after_its_puts_loses_none_of_them(tmp_path, method):
    events, _, result = trace_and_compare(tmp_path, "terminated_worker.py", method, "50")
    assert result.stdout == "worker ended with exit code -15\n"
    kinds = assert_exact(events)
    assert kinds[PUT] == kinds[GET] == kinds[TASK_DONE] == 50
    # Killed before it could say so: its parent's join() tells the real exit code.
    assert [e.exitcode for e in events if e.kind == ACTOR_EXIT and e.actor == "worker"] == [-15]


def test_a_daemon_consumer_ended_by_the_program_exit_loses_nothing(tmp_path):
    record = tmp_path / "daemon.jsonl"
    program = ROOT / "benchmarks" / "tiny_tasks_program.py"
    result = traced("--no-gui", "--record", str(record), str(program), "5000")
    assert result.returncode == 0, result.stderr
    events = read_trace(record).events
    kinds = assert_exact(events)
    assert kinds[PUT] == kinds[GET] == kinds[TASK_DONE] == 5000
    # multiprocessing terminates it at the program's exit: its real exit code, not none; which is
    # how a daemon ends, not a crash — the run ended cleanly
    assert [e.exitcode for e in events if e.kind == ACTOR_EXIT and e.actor == "consumer"] == [-15]
    model = RunModel()
    model.apply(events)
    assert model.actors["consumer"].state == STOPPED and judge(model, traced=True).clean


@pytest.mark.parametrize("method", available("spawn", "forkserver"))
def test_a_queue_made_at_module_level_in_a_re_imported_main_keeps_names_apart(tmp_path, method):
    events, _, _ = trace_and_compare(tmp_path, "module_level.py", method)
    assert_exact(events)
    assert {(e.queue, e.actor) for e in events if e.queue} == {("queue-2", "main"), ("queue-2", "worker")}
    assert actors(events) == {"main", "worker"}
    assert sorted(e.actor for e in events if e.kind == "actor_start") == ["main", "worker"]


@pytest.mark.parametrize("method", available("spawn", "fork"))
def test_exceptions_and_exit_codes_pass_through(tmp_path, method):
    events, _, result = trace_and_compare(tmp_path, "crash.py", method)
    assert result.returncode == 1
    assert result.stderr.startswith("child gives up\nTraceback (most recent call last):\n")
    assert "bootstrap" not in result.stderr  # no frame of JoinScope's own
    assert_exact(events)
    exits = {e.actor: e.exitcode for e in events if e.kind == ACTOR_EXIT}
    assert exits == {"quitter": 3, "main": 1}


def test_standard_input_reaches_the_program(tmp_path):
    record = tmp_path / "echo.jsonl"
    text = "first line\nsecond, with ünïcode\n"
    result = subprocess.run([sys.executable, "-m", "app", "trace", "--no-gui", "--record", str(record),
                             str(PROGRAMS / "echo_input.py")], cwd=ROOT, input=text, capture_output=True,
                            text=True, timeout=30)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "echo: first line\necho: second, with ünïcode\n"
    events = read_trace(record).events
    assert [e.item for e in events if e.kind == PUT] == ["first line", "second, with ünïcode", None]
    assert_exact(events)


def test_sys_exit_code_passes_through(tmp_path):
    _, _, result = trace_and_compare(tmp_path, "exit_code.py")
    assert result.returncode == 5 and result.stdout == "a\nb\n"


def test_a_program_with_no_joinable_queue_is_told_so(tmp_path):
    events, notes, result = trace_and_compare(tmp_path, "no_queue.py", "x", "--record", "y")
    assert "args: ['x', '--record', 'y']" in result.stderr  # options after the script are the program's
    assert notes[0] == (f"{PROGRAMS / 'no_queue.py'} created no JoinableQueue, queue.Queue, asyncio.Queue or pool, "
                        "so there was nothing to trace")
    assert {e.kind for e in events} == {"actor_start", "actor_exit"} and actors(events) == {"main"}


def test_headless_tracing_loads_no_window_machinery(tmp_path):
    """Its start-up is part of every traced program's wall time: no Qt, pyqtgraph or numpy."""
    record = tmp_path / "run.jsonl"
    code = ("import sys; from app.cli.main import main; code = main(sys.argv[1:]); "
            "print('heavy:', sorted({'numpy', 'PySide6', 'pyqtgraph'} & sys.modules.keys()), file=sys.stderr); "
            "sys.exit(code)")
    result = subprocess.run([sys.executable, "-c", code, "trace", "--no-gui", "--record", str(record),
                             str(PROGRAMS / "plain_module.py"), "spawn", "3"], cwd=ROOT, capture_output=True,
                            text=True, timeout=30)
    assert result.returncode == 0, result.stderr
    assert "heavy: []" in result.stderr.splitlines()
    assert Counter(e.kind for e in read_trace(record).events)[PUT] == 4


def test_timeout_stops_a_hung_join_and_says_so(tmp_path):
    record = tmp_path / "hang.jsonl"
    started = time.monotonic()
    result = traced("--no-gui", "--timeout", "1.5", "--record", str(record), str(PROGRAMS / "hang.py"))
    assert time.monotonic() - started < 15
    assert result.returncode == 3
    assert result.stdout == "joining\n"
    _, notes = own_and_notes(result.stderr)
    assert "main was still waiting in queue-1.join() with unfinished=1 (depth 0)" in notes
    assert "  forgetful got 5 item(s) from queue-1 and called task_done() 4 time(s)" in notes
    assert any("ran longer than --timeout 1.5 s" in note for note in notes)
    events = read_trace(record).events
    assert_exact(events)
    assert Counter(e.kind for e in events)[TASK_DONE] == 4
    stop = next(e for e in events if e.kind == "run_stop")  # JoinScope stopped it: said before its processes end
    assert stop.actor == "joinscope" and all(e.seq > stop.seq for e in events if e.kind == "actor_exit")
    stall = next(e for e in events if e.kind == "stall")  # the verdict travels with the recording
    assert stall.seq < stop.seq and stall.item.startswith("the program ran longer than --timeout 1.5 s: main's")
    model = RunModel()
    model.apply(events)
    assert {a.name: a.state for a in model.actors.values()} == {"main": STOPPED, "forgetful": STOPPED}
    replay = ReplayCursor(load_recording(record))
    replay.seek(len(events))  # the run_stop and the exits after it in one go
    main_exit = next(i for i, e in enumerate(events) if e.kind == "actor_exit" and e.actor == "main")
    assert replay.narration(main_exit) == "main was stopped"  # not "killed by SIGTERM"


@pytest.mark.parametrize("args, clue", [
    (["--no-gui", "missing.py"], "cannot run missing.py: no such file"),
    (["--no-gui", "tests"], "cannot run tests: not a file"),
    (["--no-gui", "--timeout", "0", "x.py"], "--timeout"),
    (["--no-gui", "--timeout", "-2", "x.py"], "--timeout"),
    (["--no-gui", "--timeout", "nan", "x.py"], "--timeout"),
    (["--no-gui", "--timeout", "soon", "x.py"], "--timeout"),
    (["--no-gui"], "the following arguments are required: script"),
    (["--no-gui", "--record", "/no/such/folder/t.jsonl", "tests/programs/no_queue.py"], "cannot write"),
])
def test_bad_input_gets_one_line_and_exit_2(args, clue):
    result = traced(*args)
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and clue in lines[0] and "Traceback" not in result.stderr
    assert result.stdout == ""


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="a device that is always full: Linux only "
                                                           "(the variant below limits the file's size)")
def test_a_record_that_cannot_take_its_header_is_refused_before_the_program_runs():
    result = traced("--no-gui", "--overwrite", "--record", "/dev/full", str(PROGRAMS / "no_queue.py"))
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.strip() == ("joinscope trace: error: argument --record: cannot write /dev/full: "
                                     "No space left on device")


def _with_file_size_limit(limit: int) -> dict:
    """``subprocess.run`` arguments that cap the size of any file the command writes (POSIX)."""
    import resource

    def small_files() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    return {"preexec_fn": small_files}


NO_FILE_SIZE_LIMIT = pytest.mark.skipif(sys.platform == "win32", reason="Windows cannot cap a file's size from "
                                                                         "outside: no full disk to be had")


@NO_FILE_SIZE_LIMIT
def test_a_record_that_cannot_take_its_header_is_refused_before_the_program_runs_as_on_a_full_disk(tmp_path):
    record = tmp_path / "full.jsonl"
    result = subprocess.run([sys.executable, "-m", "app", "trace", "--no-gui", "--record", str(record),
                             str(PROGRAMS / "no_queue.py")], cwd=ROOT, capture_output=True, text=True, timeout=30,
                            **_with_file_size_limit(10))
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.strip() == (f"joinscope trace: error: argument --record: cannot write {record}: "
                                     "File too large")


@NO_FILE_SIZE_LIMIT
def test_a_full_disk_ends_the_recording_not_the_program(tmp_path):
    record = tmp_path / "small.jsonl"
    limit = 30_000
    expected = plain("plain_module.py", FORK_IF_ANY, "300")
    result = subprocess.run([sys.executable, "-m", "app", "trace", "--no-gui", "--record", str(record),
                             str(PROGRAMS / "plain_module.py"), FORK_IF_ANY, "300"], cwd=ROOT, capture_output=True,
                            text=True, timeout=30, **_with_file_size_limit(limit))
    stderr, notes = own_and_notes(result.stderr)
    assert (result.returncode, result.stdout, stderr) == (expected.returncode, expected.stdout, expected.stderr)
    assert notes[0].endswith("on 1 queue(s): puts 301 · gets 301 · task_done calls 301")  # all observed
    assert notes[-1] == f"could not write {record}: File too large; it holds the events up to that point"
    trace = read_trace(record)  # whole lines only, every one of them valid
    observed = int(notes[0].split()[0])
    assert not trace.warnings and 0 < len(trace.events) < observed and record.stat().st_size <= limit
    assert check_counts(trace.events) is None


def test_an_existing_record_is_never_overwritten(tmp_path):
    record = tmp_path / "keep.jsonl"
    record.write_text("precious\n")
    result = traced("--no-gui", "--record", str(record), str(PROGRAMS / "no_queue.py"))
    assert result.returncode == 2 and "already exists" in result.stderr and result.stdout == ""
    assert record.read_text() == "precious\n"


@pytest.mark.skipif(sys.platform == "win32" or os.geteuid() == 0,
                    reason="root reads any file; on Windows chmod cannot take reading away")
def test_an_unreadable_script_is_refused(tmp_path):
    script = tmp_path / "secret.py"
    script.write_text("print('no')\n")
    script.chmod(0)
    result = traced("--no-gui", str(script))
    assert result.returncode == 2 and "cannot run" in result.stderr and result.stdout == ""


def _start_hung(tmp_path: Path, record: Path) -> tuple[subprocess.Popen, list[psutil.Process]]:
    """``joinscope trace`` of hang.py in a process group of its own, once main waits in join()."""
    process = subprocess.Popen([sys.executable, "-m", "app", "trace", "--no-gui", "--record", str(record),
                                str(PROGRAMS / "hang.py")], cwd=ROOT, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, **OWN_GROUP)
    deadline = time.monotonic() + 20
    while not (record.exists() and '"join_enter"' in record.read_text()):
        assert time.monotonic() < deadline and process.poll() is None, process.stderr
        time.sleep(0.02)
    return process, psutil.Process(process.pid).children(recursive=True)


SIGNALS = [
    pytest.param(interrupt_group, 130, id="ctrl-c-to-the-terminal-group",  # the whole foreground group
                 marks=pytest.mark.skipif(not CAN_INTERRUPT_A_GROUP, reason="Windows: Ctrl-C reaches a console")),
    pytest.param(interrupt, 130, id="sigint-to-joinscope-alone",  # passed on to the program
                 marks=pytest.mark.skipif(not CAN_INTERRUPT_A_GROUP, reason="Windows: Ctrl-C reaches a console")),
    pytest.param(ask_to_end, TERMINATED, id="a-request-to-end"),  # SIGTERM; Windows: Ctrl-Break
]


@pytest.mark.parametrize("send, code", SIGNALS)
def test_signals_leave_no_process_behind(tmp_path, send, code):
    record = tmp_path / "cut.jsonl"
    process, tree = _start_hung(tmp_path, record)
    try:
        assert len(tree) >= 2  # the program, its consumer (and multiprocessing's helpers)
        send(process)
        out, err = process.communicate(timeout=15)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == code, err
    assert out == "joining\n"
    _, alive = psutil.wait_procs(tree, timeout=3.0)
    assert not alive
    assert "joinscope: interrupted" in err or code == TERMINATED
    assert check_counts(read_trace(record).events, allow_gaps=True) is None


@pytest.mark.skipif(not CAN_INTERRUPT_A_GROUP, reason="Windows: Ctrl-C reaches a whole console, so it cannot be "
                                                      "sent to JoinScope's group alone; Ctrl-Break's stop of the whole "
                                                      "tree is test_signals_leave_no_process_behind[a-request-to-end]")
def test_after_ctrl_c_the_processes_a_program_left_running_are_stopped_too(tmp_path):
    process = subprocess.Popen([sys.executable, "-m", "app", "trace", "--no-gui", str(PROGRAMS / "on_interrupt.py"),
                                "orphan"], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               **OWN_GROUP)
    try:
        assert process.stdout.readline() == "ready\n"
        tree = psutil.Process(process.pid).children(recursive=True)
        interrupt_group(process)  # main leaves at once; its worker would wait forever
        _out, err = process.communicate(timeout=15)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    _, alive = psutil.wait_procs(tree, timeout=3.0)
    assert not alive, [p.cmdline() for p in alive]
    assert process.returncode == 130 and "joinscope: interrupted" in err, err


def test_queue_queue_threads_are_traced_exactly(tmp_path):
    events, notes, result = trace_and_compare(tmp_path, "thread_queue.py")
    assert result.stdout == "done True, unfinished 0\n"
    assert_exact(events)
    kinds = Counter(e.kind for e in events if e.queue is not None)
    assert (kinds[PUT], kinds[GET], kinds[TASK_DONE]) == (22, 22, 22)
    assert {e.actor for e in events if e.kind == PUT} == {"producer"}
    assert {e.actor for e in events if e.kind == GET} <= {"consumer-0", "consumer-1"}
    assert all(e.depth <= 3 for e in events if e.queue is not None), "maxsize 3 is kept"
    join = next(e for e in events if e.kind == JOIN_RETURN and e.queue is not None)
    assert join.actor == "main" and join.unfinished == 0
    assert "puts 22" in " ".join(notes)
    # Each thread's lane ends when it does (it returned: exit code 0), not "running" for ever.
    exits = {e.actor: (e.item, e.exitcode) for e in events if e.kind == ACTOR_EXIT}
    assert {name: exits.get(name) for name in ("producer", "consumer-0", "consumer-1")} == {
        "producer": ("thread", 0), "consumer-0": ("thread", 0), "consumer-1": ("thread", 0)}


def test_asyncio_queue_tasks_are_traced_exactly_and_the_exit_code_passes_through(tmp_path):
    events, _notes, result = trace_and_compare(tmp_path, "asyncio_queue.py", "3")
    assert result.returncode == 3 and result.stdout == "done True\n"
    assert_exact(events)
    kinds = Counter(e.kind for e in events if e.queue is not None)
    assert (kinds[PUT], kinds[GET], kinds[TASK_DONE]) == (20, 20, 20)
    assert {e.actor for e in events if e.kind == PUT} == {"main (Task-1)"}
    assert {e.actor for e in events if e.kind == GET} <= {"consumer-0", "consumer-1"}
    join = next(e for e in events if e.kind == JOIN_RETURN and e.queue is not None)
    assert join.actor == "main (Task-1)" and join.unfinished == 0 and join.released_by is not None
    # The consumers were cancelled (no exit code: stopped); main's task ended with sys.exit(3).
    exits = {e.actor: (e.item, e.exitcode) for e in events if e.kind == ACTOR_EXIT}
    assert {name: exits.get(name) for name in ("consumer-0", "consumer-1", "main (Task-1)")} == {
        "consumer-0": ("task", None), "consumer-1": ("task", None), "main (Task-1)": ("task", 3)}


def test_queues_limits_what_is_observed(tmp_path):
    events, _notes, _ = trace_and_compare(tmp_path, "thread_queue.py")
    assert any(e.queue for e in events)
    record = tmp_path / "only-process.jsonl"
    result = traced("--no-gui", "--queues", "process", "--record", str(record), str(PROGRAMS / "thread_queue.py"))
    assert result.returncode == 0 and result.stdout == "done True, unfinished 0\n"
    assert "created no JoinableQueue, so there was nothing to trace" in result.stderr
    assert not [e for e in read_trace(record).events if e.queue is not None]


def test_a_bad_queues_value_gets_one_line_and_exit_2():
    result = traced("--no-gui", "--queues", "process,fibers", str(PROGRAMS / "thread_queue.py"))
    assert result.returncode == 2 and result.stdout == ""
    assert len(result.stderr.strip().splitlines()) == 1 and "--queues" in result.stderr


def test_a_priority_queue_keeps_its_order_and_is_traced(tmp_path):
    events, _, result = trace_and_compare(tmp_path, "priority_queue.py")
    assert result.stdout == "[1, 2, 3] True\n"
    assert_exact(events)
    assert [e.item[0] for e in events if e.kind == GET] == [1, 2, 3]
    assert {e.actor for e in events if e.kind == GET} == {"worker"}


@pytest.mark.timeout(120)
def test_cpython_s_own_queue_tests_pass_traced(tmp_path):
    """CPython's multiprocessing queue tests, spawn: a Manager's queue.Queue goes to a spawned
    server process, so the observed class must pickle by reference as the stdlib's does."""
    pytest.importorskip("test._test_multiprocessing")
    record = tmp_path / "cpython.jsonl"
    result = traced("--no-gui", "--record", str(record), str(PROGRAMS / "cpython_queue_tests.py"), timeout=100)
    own, _ = own_and_notes(result.stderr)
    assert result.returncode == 0, own[-2000:]
    assert "\nOK" in own and "Can't pickle" not in own
    events = read_trace(record).events
    assert_exact(events)
    managed = {e.queue for e in events if e.kind == PUT and e.queue and "@" in e.queue}  # made in another process
    assert managed, "the queues a Manager's server serves are observed too"


def test_a_thread_that_dies_of_an_exception_is_told_as_such(tmp_path):
    events, _notes, result = trace_and_compare(tmp_path, "thread_crash.py")
    assert result.stdout == "unfinished 6\n" and "ValueError: cannot process task 5" in result.stderr
    assert_exact(events)
    error = next(e for e in events if e.kind == ERROR)
    end = next(e for e in events if e.kind == ACTOR_EXIT and e.actor == "consumer-0")
    assert error.actor == "consumer-0" and "ValueError: cannot process task 5" in error.error
    assert (end.item, end.exitcode) == ("thread", 1) and error.seq < end.seq
    model = RunModel()
    model.apply(events)
    assert Narrator(model).line(end) == "consumer-0 died of an exception (its thread ended)"
    verdict = judge(model, traced=True)
    assert verdict.level == "failed" and verdict.headline.startswith("Failed: consumer-0 died of an exception")


def test_items_with_an_address_in_their_repr_are_shown_alike_at_put_and_get(tmp_path):
    events, _notes, _ = trace_and_compare(tmp_path, "plain_objects.py")
    assert_exact(events)
    for name in {e.queue for e in events if e.queue is not None}:
        puts = [e.item for e in events if e.kind == PUT and e.queue == name]
        gets = [e.item for e in events if e.kind == GET and e.queue == name]
        assert puts == gets and len(puts) in (2, 5)
        shown = [item for item in puts if item is not None]
        assert all("Job object #" in item and "0x" not in item for item in shown)
        assert len(set(shown)) == len(shown)  # a different id for each object
    pair = next(e.item for e in events if e.kind == PUT and e.item and e.item.startswith("(<"))
    assert pair.count("Job object #") == 2
