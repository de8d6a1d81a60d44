"""The operating system: every OS-specific call, branching on ``sys.platform``.

JoinScope runs on Linux, macOS and Windows, and they differ in what a process can do to
another: POSIX has signals (SIGSTOP freezes, SIGTERM asks, SIGKILL ends, a negative exit
code names the signal), ``fork``, ``nice``, ``/proc`` on Linux, Unix sockets and file
descriptors a child can inherit by number; Windows has ``TerminateProcess`` (behind every
``terminate()`` and ``kill()``), suspension by ``NtSuspendProcess``, priority classes,
Ctrl-C and Ctrl-Break events for a whole console, named pipes, inheritable handles, Job
Objects that hold a process tree, and exit codes such as ``0xC000013A`` (Ctrl-C).  Everything
that differs is here, and every other module of ``core/`` and ``app/`` reads the same on all
three (``tests/as_on_windows.py`` and ``mypy --platform win32|darwin``, run by
``.ci/portability.py``, keep it so).  Where psutil does the job (suspend and resume, finding a
process's descendants, priority, liveness) it is used, imported when first needed: the
traced program's bootstrap imports this module and must start fast.

Branches test ``sys.platform`` itself, so type checkers see each one for its platform only.
"""
from __future__ import annotations

import errno
import os
import signal
import sys
import time

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing: a traced program's launch waits for it
if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from typing import IO, Any

#: What the window and the docs call this system.
PLATFORM_NAME = {"win32": "Windows", "darwin": "macOS"}.get(sys.platform, "Linux" if sys.platform.startswith(
    "linux") else sys.platform)


# -- fork -----------------------------------------------------------------------------------
def after_fork_in_child(function: Callable[[], None]) -> None:
    """Call ``function`` in every child this process forks (Windows cannot fork: nothing to do)."""
    if sys.platform != "win32":
        os.register_at_fork(after_in_child=function)


def start_methods() -> list[str]:
    """The multiprocessing start methods JoinScope offers here, ``spawn`` first.

    Windows has only ``spawn``.  macOS has ``fork`` too, but CPython made ``spawn`` the default
    there because the system's frameworks may crash a forked child, so it is not offered."""
    import multiprocessing
    available = multiprocessing.get_all_start_methods()
    offered: list[str] = [method for method in ("spawn", "forkserver", "fork") if method in available]
    if sys.platform == "darwin":
        offered = [method for method in offered if method != "fork"]
    return offered


def start_method_refusal(method: str) -> str | None:
    """Why ``method`` cannot start a run's processes here (``None``: it can)."""
    if method in start_methods():
        return None
    if sys.platform == "win32":
        return f"start method {method!r} does not exist on Windows: processes start by spawn only"
    if sys.platform == "darwin" and method == "fork":
        return "start method 'fork' is unsafe on macOS (system frameworks may crash a forked child): " \
               "use spawn or forkserver"
    return f"start method must be one of {', '.join(start_methods())}, not {method!r}"


def terminating_popen() -> Any:
    """The class whose ``terminate()`` is behind every multiprocessing ``Process.terminate()``
    here: POSIX's fork, spawn and forkserver ``Popen`` share ``popen_fork``'s (SIGTERM); Windows
    has ``popen_spawn_win32``'s (``TerminateProcess``; its ``kill`` is the same function, bound
    when the class was made, so replacing ``terminate`` leaves ``kill`` as it was)."""
    if sys.platform == "win32":
        from multiprocessing import popen_spawn_win32
        return popen_spawn_win32.Popen
    from multiprocessing import popen_fork
    return popen_fork.Popen


# -- queues ---------------------------------------------------------------------------------
def max_queue_size() -> int:
    """The largest ``maxsize`` a ``multiprocessing.JoinableQueue`` can have here.

    Its slots are a semaphore, which the OS caps at ``SEM_VALUE_MAX``: 32,767 on macOS (a
    larger ``maxsize`` cannot even be made, and an "unbounded" queue is really bounded there:
    ``put()`` blocks once 32,767 items wait), 2,147,483,647 on Linux and Windows."""
    from _multiprocessing import SemLock
    return int(SemLock.SEM_VALUE_MAX)


def unbounded_queue_note() -> str:
    """What "unbounded" (``maxsize`` 0) means for a process queue here."""
    limit = max_queue_size()
    if limit < 1_000_000:
        return (f"0 means unbounded; on {PLATFORM_NAME} a process queue still holds at most {limit:,} items "
                f"(the system's semaphore limit): put() blocks beyond that")
    return "0 means unbounded"


# -- an actor process -----------------------------------------------------------------------
#: How far below the observer an actor runs: POSIX niceness (Windows: below-normal priority).
ACTOR_NICENESS = 10


def lower_priority() -> None:
    """Run this process a little below the observer's priority: when a busy run and the window
    share too few cores, the window keeps drawing and the actors wait for it."""
    if sys.platform == "win32":
        import psutil
        psutil.Process().nice(psutil.BELOW_NORMAL_PRIORITY_CLASS)
    else:
        os.nice(ACTOR_NICENESS)


def leave_interrupts_to_parent() -> None:
    """Ignore Ctrl-C here: the terminal sends it to every process of its group (on Windows, of its
    console, with Ctrl-Break too), and stopping the run is the observer's business."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if sys.platform == "win32":
        signal.signal(signal.SIGBREAK, signal.SIG_IGN)


def exit_when_parent_dies(exitcode: int) -> None:
    """End this process with ``exitcode`` as soon as the process that started it dies (killed
    outright, say): nobody would read its events or stop it.  A thread of its own waits on the
    parent's sentinel (a pipe on POSIX, the parent's process handle on Windows) for the process's
    whole life — also while its exit waits for a queue's feeder thread to push into a pipe that
    nobody will ever read again."""
    import threading
    from multiprocessing import parent_process
    parent = parent_process()
    if parent is None:
        return

    def wait_then_exit() -> None:
        parent.join()
        os._exit(exitcode)

    threading.Thread(target=wait_then_exit, name="joinscope-parent-watch", daemon=True).start()


def on_termination_request(handler: Callable[[int, Any], None]) -> None:
    """Call ``handler`` when something outside asks this process to end (SIGTERM; on Windows
    nothing can ask — ``terminate()`` ends a process outright — so the run's own stop flag,
    :class:`core.program.control.RunControl`, is what actors look at everywhere)."""
    signal.signal(signal.SIGTERM, handler)


# -- JoinScope's own process ------------------------------------------------------------------
#: Ctrl-C ended the command: 130 as a POSIX shell reports it; on Windows, STATUS_CONTROL_C_EXIT.
EXIT_INTERRUPTED = 0xC000013A if sys.platform == "win32" else 128 + signal.SIGINT
#: A termination request ended the command (128 + SIGTERM as a shell reports it; the same number
#: on Windows, where Ctrl-Break and closing the console stand for SIGTERM).
EXIT_TERMINATED = 128 + signal.SIGTERM

#: The signals that ask JoinScope to stop: SIGTERM, and on Windows Ctrl-Break (SIGBREAK).
TERMINATION_SIGNALS: tuple[int, ...]
if sys.platform == "win32":
    TERMINATION_SIGNALS = (signal.SIGTERM, signal.SIGBREAK)
else:
    TERMINATION_SIGNALS = (signal.SIGTERM,)


def handle_stop_signals(on_interrupt: Callable[[], None], on_terminate: Callable[[], None],
                        keep_ignored: bool = False) -> Callable[[], None]:
    """Call ``on_interrupt`` on Ctrl-C and ``on_terminate`` on a termination request; returns
    what puts the previous handlers back.  With ``keep_ignored`` a signal JoinScope was started
    ignoring (a background job's SIGINT) stays ignored — for a traced program too, which
    inherits the disposition."""
    wanted = {signal.SIGINT: on_interrupt, **{signum: on_terminate for signum in TERMINATION_SIGNALS}}
    previous: dict[int, Any] = {}
    for signum, action in wanted.items():
        if keep_ignored and signal.getsignal(signum) is signal.SIG_IGN:
            continue
        previous[signum] = signal.signal(signum, _calling(action))

    def restore() -> None:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    return restore


def die_of_interrupt() -> None:
    """End this process as an uncaught ``KeyboardInterrupt`` ends Python: by SIGINT on POSIX (so
    a shell sees it), with STATUS_CONTROL_C_EXIT on Windows."""
    if sys.platform == "win32":
        os._exit(EXIT_INTERRUPTED)
    else:
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGINT)


def _calling(action: Callable[[], None]) -> Callable[[int, Any], None]:
    """A signal handler that calls ``action``."""
    def handler(signum: int, frame: Any) -> None:
        action()
    return handler


def exit_code_for_shell(returncode: int) -> int:
    """A child's return code as a shell would pass it on: 128 + N for signal N on POSIX (Python
    reports it as -N); Windows codes are what they are."""
    return 128 - returncode if returncode < 0 else returncode


#: Windows' status codes (NTSTATUS) a process may end with, in words.
_WINDOWS_ENDINGS = {0xC000013A: "was interrupted by Ctrl-C", 0xC0000005: "crashed with an access violation",
                    0xC00000FD: "crashed with a stack overflow", 0xC0000409: "crashed with a stack buffer overrun"}


def how_it_ended(exitcode: int) -> str:
    """How a process with this non-zero exit code ended, for a person to read, in this system's
    words: "was killed by SIGKILL" on POSIX; on Windows, where multiprocessing reports any
    ``terminate()`` or ``kill()`` as -15, "was terminated", and NTSTATUS codes by their meaning."""
    if sys.platform == "win32":
        if exitcode == -signal.SIGTERM:
            return f"was terminated (exit code {exitcode})"
        if exitcode >= 0:
            status = f"exit code 0x{exitcode:08X}"
            ending = _WINDOWS_ENDINGS.get(exitcode)
            if ending is not None:
                return f"{ending} ({status})"
            return f"crashed ({status})" if exitcode >= 0xC0000000 else f"exited with code {exitcode}"
    if exitcode < 0:  # (on Windows: a recording made on POSIX)
        try:
            name = signal.Signals(-exitcode).name
        except ValueError:
            name = f"signal {-exitcode}"
        return f"was killed by {name} (exit code {exitcode})"
    return f"exited with code {exitcode}"


#: The exit code Windows gives a process JoinScope ends there (``TerminateProcess`` as psutil calls
#: it, and the end of a traced program's Job Object): SIGTERM's number, as on POSIX.
WINDOWS_STOP_CODE = 15
#: Exit codes that mean "ended by JoinScope's stop", on whichever system a recording was made: 143
#: (left at the stop flag, or on SIGTERM), -15 and -9 (SIGTERM and SIGKILL; multiprocessing also
#: reports its ``terminate()`` and ``kill()`` on Windows as -15), 15 (Windows, see above).
STOP_EXIT_CODES = frozenset({EXIT_TERMINATED, -signal.SIGTERM, -9, WINDOWS_STOP_CODE})


# -- other processes --------------------------------------------------------------------------
class SuspendRefused(Exception):
    """The system would not suspend (or resume) a process: the message says why."""


def suspend(pids: Sequence[int]) -> None:
    """Freeze the processes ``pids`` (SIGSTOP on POSIX, NtSuspendProcess on Windows); those gone
    already are skipped.  :class:`SuspendRefused` if the system refuses (the ones frozen before
    the refusal are let go again)."""
    import psutil
    done: list[int] = []
    for pid in pids:
        try:
            psutil.Process(pid).suspend()
            done.append(pid)
        except psutil.NoSuchProcess:
            continue
        except psutil.AccessDenied as error:
            resume(done)
            raise SuspendRefused(f"{PLATFORM_NAME} refused to suspend process {pid} (access denied): "
                                 "Pause cannot freeze this run's processes") from error


def resume(pids: Sequence[int]) -> None:
    """Let processes frozen by :func:`suspend` go on (those gone already are skipped)."""
    import psutil
    for pid in pids:
        try:
            psutil.Process(pid).resume()
        except psutil.NoSuchProcess:
            continue
        except psutil.AccessDenied as error:
            raise SuspendRefused(f"{PLATFORM_NAME} refused to resume process {pid} (access denied)") from error


def alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie, ended but not reaped, does not)."""
    import psutil
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False
    except psutil.AccessDenied:  # someone else's, but there
        return True


def parent_of(pid: int) -> int | None:
    """The process that started ``pid`` (``None`` if it is gone or hidden)."""
    import psutil
    try:
        return psutil.Process(pid).ppid()
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return None


def descendants(pid: int) -> list[int]:
    """The live processes below ``pid``, parents before their children (none if it is gone)."""
    import psutil
    try:
        children = psutil.Process(pid).children(recursive=True)
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return []
    return [child.pid for child in children]


def stop_process_trees(roots: Sequence[int], grace_s: float, waiting: Callable[[], None]) -> None:
    """End each of ``roots`` and every process below it, leaving none behind.

    The trees are frozen first, level by level, so they cannot start more processes while being
    stopped.  On POSIX every member then gets SIGTERM (and is let go), ``waiting`` is called
    until they have ended or ``grace_s`` has passed, and what is left gets SIGKILL.  Windows
    cannot ask a process to end: ``TerminateProcess`` ends each one at once (what a program's
    Job Object holds is ended with it, see :class:`ProgramTree`)."""
    import psutil

    def members(pid: int) -> list[psutil.Process]:
        try:
            root = psutil.Process(pid)
            return [root, *root.children(recursive=True)]
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            return []

    def each(processes: list[psutil.Process], action: Callable[[psutil.Process], None]) -> None:
        for process in processes:
            try:
                action(process)
            except (psutil.NoSuchProcess, psutil.AccessDenied):
                continue

    tree: list[psutil.Process] = []
    while True:  # freeze the trees, level by level, until they stop growing
        more = [p for root in roots for p in members(root) if p not in tree]
        if not more:
            break
        each(more, psutil.Process.suspend)
        tree += more
    if sys.platform == "win32":
        each(tree, psutil.Process.terminate)
        return
    each(tree, psutil.Process.terminate)
    each(tree, psutil.Process.resume)
    deadline = time.monotonic() + grace_s
    while time.monotonic() < deadline and any(_running(p) for p in tree):
        waiting()
    each([p for p in tree + [p for root in roots for p in members(root) if p not in tree] if _running(p)],
         psutil.Process.kill)


def _running(process: Any) -> bool:
    import psutil
    try:
        return process.is_running() and process.status() != psutil.STATUS_ZOMBIE
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return False


def pass_interrupt_on(pid: int) -> bool:
    """Give the process ``pid`` the Ctrl-C that JoinScope received; whether it could be given.

    On POSIX it is a SIGINT of its own.  Windows cannot send Ctrl-C to one process: the event
    goes to every process of a console (JoinScope's too), and any other "signal" is
    ``TerminateProcess``; a program that shares JoinScope's console got the user's Ctrl-C
    already, so nothing is sent and the caller goes on to stop it after its grace."""
    if sys.platform == "win32":
        return False
    try:
        os.kill(pid, signal.SIGINT)
    except OSError:
        return False
    return True


class ProgramTree:
    """Keeps a launched program's whole process tree stoppable, whatever becomes of its parents.

    On Windows the program is put in a Job Object that ends every process in it when JoinScope
    closes it — or dies, since the system closes its handles then — including processes whose
    parent has ended (Windows keeps no tree once a parent is gone).  On POSIX the tree is found
    when it is stopped (:func:`stop_process_trees`) and nothing is held."""

    def __init__(self, process: Any) -> None:
        self._job: int | None = None
        if sys.platform == "win32":
            try:
                self._job = _windows_job_for(int(process._handle))
            except OSError:
                self._job = None  # left to TerminateProcess on each process found

    def end(self) -> None:
        """End every process of the tree now (Windows; on POSIX the processes are signalled
        by :func:`stop_process_trees`)."""
        if sys.platform == "win32" and self._job is not None:
            _kernel32().TerminateJobObject(self._job, WINDOWS_STOP_CODE)

    def release(self, end_processes: bool) -> None:
        """Let go of the tree: ending what still runs in it, or leaving it to run, as a plain
        ``python script.py`` would leave the processes its program did not wait for."""
        if sys.platform == "win32" and self._job is not None:
            kernel32 = _kernel32()
            if end_processes:
                kernel32.TerminateJobObject(self._job, WINDOWS_STOP_CODE)
            else:
                _set_kill_on_close(self._job, False)
            kernel32.CloseHandle(self._job)
            self._job = None


if sys.platform == "win32":
    import ctypes
    from ctypes import wintypes

    _JOB_OBJECT_EXTENDED_LIMIT_INFORMATION = 9
    _JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE = 0x2000

    class _IoCounters(ctypes.Structure):
        _fields_ = [(name, ctypes.c_ulonglong) for name in (
            "ReadOperationCount", "WriteOperationCount", "OtherOperationCount",
            "ReadTransferCount", "WriteTransferCount", "OtherTransferCount")]

    class _BasicLimits(ctypes.Structure):
        _fields_ = [("PerProcessUserTimeLimit", ctypes.c_int64), ("PerJobUserTimeLimit", ctypes.c_int64),
                    ("LimitFlags", wintypes.DWORD), ("MinimumWorkingSetSize", ctypes.c_size_t),
                    ("MaximumWorkingSetSize", ctypes.c_size_t), ("ActiveProcessLimit", wintypes.DWORD),
                    ("Affinity", ctypes.c_size_t), ("PriorityClass", wintypes.DWORD),
                    ("SchedulingClass", wintypes.DWORD)]

    class _ExtendedLimits(ctypes.Structure):
        _fields_ = [("BasicLimitInformation", _BasicLimits), ("IoInfo", _IoCounters),
                    ("ProcessMemoryLimit", ctypes.c_size_t), ("JobMemoryLimit", ctypes.c_size_t),
                    ("PeakProcessMemoryUsed", ctypes.c_size_t), ("PeakJobMemoryUsed", ctypes.c_size_t)]

    def _kernel32() -> Any:
        kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)
        kernel32.CreateJobObjectW.restype = wintypes.HANDLE
        kernel32.CreateJobObjectW.argtypes = [ctypes.c_void_p, wintypes.LPCWSTR]
        kernel32.SetInformationJobObject.restype = wintypes.BOOL
        kernel32.SetInformationJobObject.argtypes = [wintypes.HANDLE, ctypes.c_int, ctypes.c_void_p,
                                                     wintypes.DWORD]
        kernel32.AssignProcessToJobObject.restype = wintypes.BOOL
        kernel32.AssignProcessToJobObject.argtypes = [wintypes.HANDLE, wintypes.HANDLE]
        kernel32.TerminateJobObject.restype = wintypes.BOOL
        kernel32.TerminateJobObject.argtypes = [wintypes.HANDLE, wintypes.UINT]
        kernel32.CloseHandle.restype = wintypes.BOOL
        kernel32.CloseHandle.argtypes = [wintypes.HANDLE]
        return kernel32

    def _set_kill_on_close(job: int, kill: bool) -> None:
        limits = _ExtendedLimits()
        limits.BasicLimitInformation.LimitFlags = _JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE if kill else 0
        if not _kernel32().SetInformationJobObject(job, _JOB_OBJECT_EXTENDED_LIMIT_INFORMATION,
                                                   ctypes.byref(limits), ctypes.sizeof(limits)):
            raise ctypes.WinError(ctypes.get_last_error())

    def _windows_job_for(process_handle: int) -> int:
        """A new kill-on-close Job Object holding the process (and so every process it starts)."""
        kernel32 = _kernel32()
        job = kernel32.CreateJobObjectW(None, None)
        if not job:
            raise ctypes.WinError(ctypes.get_last_error())
        try:
            _set_kill_on_close(job, True)
            if not kernel32.AssignProcessToJobObject(job, process_handle):
                raise ctypes.WinError(ctypes.get_last_error())
        except OSError:
            kernel32.CloseHandle(job)
            raise
        return int(job)


class ExitNotice:
    """Something :func:`multiprocessing.connection.wait` can wait on that becomes ready when a
    child ends, so a loop that waits for its events also wakes at its end: the process's own
    handle on Windows, a pidfd on Linux 5.3+; ``None`` elsewhere (the loop then notices the end
    at its next look, a poll's timeout later)."""

    def __init__(self, process: Any) -> None:
        self.waitable: int | None = None
        self._owned = False
        if sys.platform == "win32":
            self.waitable = int(process._handle)
        elif sys.platform == "linux":
            try:
                self.waitable, self._owned = os.pidfd_open(process.pid), True
            except OSError:
                self.waitable = None

    def close(self) -> None:
        if self._owned and self.waitable is not None:
            os.close(self.waitable)
        self.waitable = None


# -- handing things to a child ------------------------------------------------------------------
class ChildPipe:
    """A pipe whose read end one child process inherits, and only that one.

    POSIX passes the descriptor by number (``pass_fds``); Windows passes an inheritable handle,
    listed in the child's start-up information so no other handle leaks into it.  The child is
    told :attr:`token` and opens it with :func:`open_handed_pipe`."""

    def __init__(self) -> None:
        self._read_end, self.write_end = os.pipe()
        self.token = str(self._read_end)
        if sys.platform == "win32":
            import msvcrt
            handle = msvcrt.get_osfhandle(self._read_end)
            os.set_handle_inheritable(handle, True)
            self.token = str(handle)

    def popen_arguments(self) -> dict[str, Any]:
        """What ``subprocess.Popen`` needs to hand the read end over.

        On Windows a handle list limits what the child inherits to the handles in it, so the
        standard streams are named too (as descriptors 0, 1, 2: ``subprocess`` adds their handles
        to the list); left out, the child would lose JoinScope's standard input and output."""
        if sys.platform == "win32":
            import msvcrt
            import subprocess
            arguments: dict[str, Any] = {
                "startupinfo": subprocess.STARTUPINFO(lpAttributeList={"handle_list": [int(self.token)]})}
            for stream, fd in (("stdin", 0), ("stdout", 1), ("stderr", 2)):
                try:
                    msvcrt.get_osfhandle(fd)
                except OSError:  # no such stream (started without a console)
                    continue
                arguments[stream] = fd
            return arguments
        return {"pass_fds": (self._read_end,)}

    def child_started(self) -> None:
        """The child has its copy: close ours of the read end."""
        os.close(self._read_end)


def open_handed_pipe(token: str) -> IO[bytes]:
    """In the child: the pipe a :class:`ChildPipe` handed over, to read."""
    if sys.platform == "win32":
        import msvcrt
        return open(msvcrt.open_osfhandle(int(token), os.O_RDONLY), "rb")
    return open(int(token), "rb")


def listener_address(directory: str, name: str) -> str:
    """Where JoinScope's private event listener listens; :mod:`multiprocessing.connection` infers
    the family from it.  POSIX: a Unix socket ``name`` in ``directory`` (private: mode 0700).
    Windows: a named pipe (the random ``name`` makes it unguessable; a peer must still pass the
    key's challenge)."""
    if sys.platform == "win32":
        return rf"\\.\pipe\joinscope-{os.getpid()}-{name}"
    return os.path.join(directory, name)


# -- the display ------------------------------------------------------------------------------
def display_server_needed() -> bool:
    """Whether a window needs a display server that the environment names (an X server in
    ``DISPLAY``, a Wayland compositor in ``WAYLAND_DISPLAY``): on Linux and the BSDs, yes; macOS
    and Windows draw on the session's own desktop."""
    return sys.platform not in ("win32", "darwin", "cygwin")


#: libxcb's reasons a connection failed (``xcb_connection_has_error``), as a user reads them.
_XCB_ERRORS = {1: "no X server answers there, or it refused the connection",
               2: "the X server lacks an extension", 3: "out of memory", 4: "a request was too long",
               5: "that is not a display name", 6: "the X server has no such screen"}


def x_display_problem(display: str) -> str | None:
    """Why the X server ``display`` (a ``DISPLAY`` value, like ``:0``) would not take a window,
    asked of libxcb as Qt's xcb platform asks it (the connection, its authorisation, the
    screen), or ``None`` if it would.  Without libxcb there is no one to ask: ``None``."""
    if sys.platform in ("win32", "darwin"):
        return None
    import ctypes
    try:
        xcb = ctypes.CDLL("libxcb.so.1")
    except OSError:
        return None
    xcb.xcb_connect.restype = ctypes.c_void_p
    xcb.xcb_connect.argtypes = [ctypes.c_char_p, ctypes.c_void_p]
    xcb.xcb_connection_has_error.argtypes = [ctypes.c_void_p]
    xcb.xcb_disconnect.argtypes = [ctypes.c_void_p]
    connection = xcb.xcb_connect(display.encode(), None)
    try:
        error = xcb.xcb_connection_has_error(connection)
    finally:
        xcb.xcb_disconnect(connection)
    return None if error == 0 else _XCB_ERRORS.get(error, f"libxcb error {error}")


def wayland_display_problem(display: str, runtime_dir: str | None) -> str | None:
    """Why no Wayland compositor answers at ``display`` (a ``WAYLAND_DISPLAY`` value: a socket
    name in ``XDG_RUNTIME_DIR``, or a path), or ``None`` if one does."""
    if sys.platform == "win32":
        return "Windows has no Wayland"
    import socket
    path = display if os.path.isabs(display) else os.path.join(runtime_dir or "", display)
    if not os.path.isabs(path):
        return "XDG_RUNTIME_DIR is not set, so its socket cannot be found"
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
        try:
            probe.connect(path)
        except OSError as error:
            return f"nothing listens at {path}: {error.strerror or error}"
    return None


# -- output ---------------------------------------------------------------------------------
def reader_gone(error: OSError) -> bool:
    """Whether a failed write means the reader of a pipe has left (``joinscope run | head``): a
    ``BrokenPipeError``, which Windows may report as ``EINVAL`` instead."""
    return isinstance(error, BrokenPipeError) or (sys.platform == "win32" and error.errno == errno.EINVAL)

