"""The first code of a traced program's main process: observe, then run the script as ``__main__``.

JoinScope starts ``python -c BOOTSTRAP_CODE PIPE script.py args…``.  This module reads the
channel's address and key from the inherited pipe ``PIPE`` (a descriptor's number, or on
Windows a handle's: :class:`core.system.ChildPipe`; so the key never shows in a
command line or the environment; JoinScope may write them a little later, see
:mod:`core.tracing.launch`), installs the patch, and runs the script the way
``python script.py`` would: ``sys.argv``, ``sys.path[0]``, a ``__main__`` module with the
same attributes (so ``if __name__ == "__main__"`` and spawn's re-import of the main
module behave), the same traceback on an uncaught exception (without the bootstrap's
own frames), exit code 1, and death by SIGINT after a ``KeyboardInterrupt`` (on Windows,
the exit code of Ctrl-C: :func:`core.system.die_of_interrupt`).

Imports are kept inside :func:`main` on purpose: the exit hook that re-raises SIGINT
must be registered before ``multiprocessing`` registers its own (``atexit`` runs the
last registered first, and multiprocessing's must run before it).
"""
from __future__ import annotations

import atexit
import os
import sys
from types import TracebackType

#: What JoinScope passes to ``python -c``.  Dropping ``sys.path[0]`` (the working
#: directory, under ``-c``) first means a ``core`` package there cannot stand in for ours.
BOOTSTRAP_CODE = "import sys; del sys.path[0]; from core.tracing.bootstrap import main; main()"

_die_of_sigint = False


def _exit_like_python() -> None:
    """Registered first so it runs last: after a ``KeyboardInterrupt``, end as Python does."""
    if _die_of_sigint:
        from core.system import die_of_interrupt
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except Exception:
                pass
        die_of_interrupt()


def main() -> None:
    global _die_of_sigint
    atexit.register(_exit_like_python)
    import json

    from core.backends import TRACEABLE
    from core.system import open_handed_pipe
    from core.tracing.channel import channel_for
    from core.tracing.patch import install

    handed, script, *args = sys.argv[1:]
    with open_handed_pipe(handed) as pipe:
        data = pipe.read()  # JoinScope may still be starting: this waits for it
    if not data:  # JoinScope gave up before the script started (it says why)
        sys.exit(2)
    config = json.loads(data)
    channel = channel_for(config["address"], bytes.fromhex(config["authkey"]))
    install(channel, program_main=True, queues=tuple(config.get("queues", TRACEABLE)))
    sys.argv = [script, *args]
    sys.path.insert(0, os.path.dirname(os.path.realpath(script)))
    try:
        _run_as_main(script)
    except SystemExit:
        raise
    except BaseException as error:
        if not isinstance(error, KeyboardInterrupt):
            _report(channel, error)
        # The default hook prints the exception's own traceback, whatever it is given.
        error.with_traceback(_script_frames(error.__traceback__))
        sys.excepthook(type(error), error, error.__traceback__)
        _die_of_sigint = isinstance(error, KeyboardInterrupt)
        del error
        sys.exit(1)


def _report(channel: object, error: BaseException) -> None:
    """The program dies of ``error``: say so in the trace, as an ``error`` of ``main`` (before its exit)."""
    import time

    from core.events import ERROR, MAIN_ACTOR, describe_exception, wire_record
    from core.queues.reporter import reporter_for

    reporter = reporter_for(channel)
    reporter.record(wire_record(time.monotonic(), ERROR, MAIN_ACTOR, os.getpid(), error=describe_exception(error)))
    reporter.flush()


_main_code = None


def _run_as_main(script: str) -> None:
    """Compile and run ``script`` as the ``__main__`` module, as ``python script.py`` does."""
    global _main_code
    import builtins
    import types
    from importlib.machinery import SourceFileLoader

    path = script if os.path.isabs(script) else os.path.join(os.getcwd(), script)
    module = types.ModuleType("__main__")
    module.__dict__.update(__file__=path, __cached__=None, __package__=None, __spec__=None, __annotations__={},
                           __loader__=SourceFileLoader("__main__", path), __builtins__=builtins)
    with open(path, "rb") as source_file:
        source = source_file.read()
    sys.modules["__main__"] = module
    _main_code = compile(source, path, "exec", dont_inherit=True)
    exec(_main_code, module.__dict__)


def _script_frames(tb: TracebackType | None) -> TracebackType | None:
    """The traceback from the script's own module frame on (``None`` for a syntax error)."""
    while tb is not None and tb.tb_frame.f_code is not _main_code:
        tb = tb.tb_next
    return tb
