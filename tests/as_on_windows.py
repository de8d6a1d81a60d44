"""Import every module of ``core`` and ``app`` as Windows would let them: ``python -m tests.as_on_windows``.

Windows has no ``os.register_at_fork``, ``os.nice``, ``signal.SIGKILL``, ``socket.AF_UNIX``,
``resource`` or ``fcntl``; a module that touches one of them when it is imported cannot even
load there.  This runs on Linux and macOS: in a fresh interpreter it first imports what the
project's modules import from outside the project (the stdlib, Qt, numpy, psutil: Windows has
its own copies of those, with their own branches), then removes the POSIX-only names from
``os``, ``signal`` and ``socket``, gives ``signal`` Windows' own (``SIGBREAK``), makes
``resource`` and ``fcntl`` unimportable, sets ``sys.platform`` to ``"win32"`` (so the project's
own branches go Windows' way) and imports the project's modules one by one.  It prints a JSON
object: how many modules were imported, and for each that failed, the error.  (What a function
does later, when it is called, is the type checker's part: ``mypy --platform win32``, in
``.ci/portability.py``.)
"""
from __future__ import annotations

import importlib
import json
import os
import pkgutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("core", "app")

#: Names of ``os``, ``signal`` and ``socket`` that Python on Windows does not have (typeshed's
#: ``sys.platform != "win32"`` branches: the ones code is likely to reach for).
POSIX_ONLY = {
    "os": ("register_at_fork", "fork", "forkpty", "nice", "killpg", "getpgid", "setpgid", "getpgrp", "setsid",
           "getsid", "getuid", "geteuid", "getgid", "getegid", "getgroups", "setuid", "setgid", "getpriority",
           "setpriority", "PRIO_PROCESS", "sched_getaffinity", "sched_setaffinity", "pidfd_open", "wait3",
           "wait4", "waitid", "WNOHANG", "WUNTRACED", "WIFSIGNALED", "WTERMSIG", "WIFSTOPPED", "sysconf",
           "statvfs", "fstatvfs", "chown", "lchown", "fchown", "mkfifo", "mknod", "openpty", "ttyname",
           "ctermid", "getloadavg", "posix_spawn", "posix_spawnp", "pipe2", "uname", "sync", "O_NONBLOCK",
           "O_CLOEXEC", "memfd_create", "eventfd", "sendfile", "confstr", "tcgetpgrp", "pread", "pwrite",
           "getresuid", "getresgid", "fpathconf", "pathconf", "major", "minor", "makedev", "mkfifo"),
    "signal": ("SIGKILL", "SIGSTOP", "SIGCONT", "SIGHUP", "SIGQUIT", "SIGUSR1", "SIGUSR2", "SIGCHLD", "SIGALRM",
               "SIGPIPE", "SIGTSTP", "SIGTTIN", "SIGTTOU", "SIGWINCH", "SIGBUS", "SIGPROF", "SIGVTALRM",
               "SIGXCPU", "SIGXFSZ", "SIGIO", "SIGSYS", "SIGTRAP", "SIGURG", "SIGPOLL", "SIGPWR", "SIGRTMIN",
               "SIGRTMAX", "alarm", "pause", "pthread_kill", "pthread_sigmask", "sigpending", "sigwait",
               "sigwaitinfo", "sigtimedwait", "setitimer", "getitimer", "siginterrupt", "pidfd_send_signal",
               "ITIMER_REAL", "ITIMER_VIRTUAL", "ITIMER_PROF", "SIG_BLOCK", "SIG_UNBLOCK", "SIG_SETMASK"),
    "socket": ("AF_UNIX", "AF_NETLINK", "AF_PACKET", "SCM_RIGHTS", "SCM_CREDENTIALS", "CMSG_LEN", "CMSG_SPACE",
               "sethostname", "if_nameindex", "SO_PEERCRED", "SOCK_NONBLOCK", "SOCK_CLOEXEC"),
}
#: Names only Windows has, with Windows' values.
WINDOWS_ONLY = {"signal": {"SIGBREAK": 21, "CTRL_C_EVENT": 0, "CTRL_BREAK_EVENT": 1}}
#: Modules Windows does not have at all.
POSIX_MODULES = ("resource", "fcntl", "termios", "pwd", "grp", "posix", "pty", "tty", "syslog")


def project_modules() -> list[str]:
    names = []
    for package in PACKAGES:
        module = importlib.import_module(package)
        names.append(package)
        names += [info.name for info in pkgutil.walk_packages(module.__path__, f"{package}.")]
    return names


def _outside_imports() -> list[str]:
    """What importing the project loads from outside it, in a normal interpreter."""
    code = ("import sys, tests.as_on_windows as w, importlib\n"
            "for name in w.project_modules(): importlib.import_module(name)\n"
            "print('\\n'.join(m for m in sys.modules if m.split('.')[0] not in w.PACKAGES + ('tests',)))")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True,
                            env=dict(os.environ, QT_QPA_PLATFORM=os.environ.get("QT_QPA_PLATFORM", "offscreen")))
    return result.stdout.split()


class _Absent:
    """A meta path finder for modules Windows does not have."""

    @staticmethod
    def find_spec(name: str, path: object = None, target: object = None) -> None:
        if name in POSIX_MODULES:
            raise ModuleNotFoundError(f"No module named {name!r} (as on Windows)", name=name)
        return None


def import_as_on_windows(outside: list[str]) -> tuple[list[str], dict[str, str]]:
    """Import every project module with the POSIX-only names gone: the modules, and the errors by module."""
    for name in outside:
        try:
            importlib.import_module(name)
        except Exception:  # an optional part of a third-party package; Windows has its own
            pass
    names = project_modules()  # walks the packages (imports only their __init__ modules)
    for name in [m for m in sys.modules if m.split(".")[0] in PACKAGES]:
        del sys.modules[name]
    for module_name, attributes in POSIX_ONLY.items():
        module = importlib.import_module(module_name)
        for attribute in attributes:
            if hasattr(module, attribute):
                delattr(module, attribute)
    for module_name, values in WINDOWS_ONLY.items():
        for attribute, value in values.items():
            setattr(importlib.import_module(module_name), attribute, value)
    for name in POSIX_MODULES:
        sys.modules.pop(name, None)
    sys.meta_path.insert(0, _Absent())  # type: ignore[arg-type]
    sys.platform = "win32"
    failures = {}
    for name in names:
        try:
            importlib.import_module(name)
        except Exception as error:
            failures[name] = f"{type(error).__name__}: {error}"
    return names, failures


def main() -> None:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    if "--child" not in sys.argv:
        outside = _outside_imports()
        result = subprocess.run([sys.executable, "-m", "tests.as_on_windows", "--child"], cwd=ROOT,
                                input="\n".join(outside), capture_output=True, text=True)
        sys.stdout.write(result.stdout)
        sys.stderr.write(result.stderr)
        sys.exit(result.returncode)
    outside = sys.stdin.read().split()
    names, failures = import_as_on_windows(outside)
    exit_codes = sys.modules.get("app.cli.exit_codes")
    print(json.dumps({"modules": len(names), "failures": failures,
                      # what the commands exit with there (the module's own values, as on Windows)
                      "exit_codes": {name: getattr(exit_codes, name) for name in dir(exit_codes)
                                     if name.startswith("EXIT_")} if exit_codes is not None else {}}))


if __name__ == "__main__":
    main()
