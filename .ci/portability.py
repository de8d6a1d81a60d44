"""What can be proved from Linux about Windows and macOS: ``python .ci/portability.py`` (from the checkout).

1. Every module of ``core/`` and ``app/`` imports with the POSIX-only names of ``os``, ``signal`` and
   ``socket`` removed, ``resource`` and ``fcntl`` unimportable and ``sys.platform`` set to
   ``"win32"`` (``tests/as_on_windows.py``).
2. ``mypy --platform win32`` and ``--platform darwin`` find no error in ``core/`` and ``app/`` that
   ``--platform linux`` does not (``app/`` is not type-clean yet: the sets are compared).
3. ``PYTHONIOENCODING=cp932 joinscope run --scenario seed`` exits 0 (a legacy code page).
4. The rest of ``tests/test_portability.py``: no POSIX-only name outside ``core/system.py``, a
   traced program's children all stopped with ``/proc`` hidden, Stop with no signal, each
   system's exit codes and limits.

Prints what it found and exits 1 if any check fails.  CI runs it after the test suite, and the
GitHub workflow as its first job.
"""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PLATFORMS = ("linux", "win32", "darwin")
_ERROR = re.compile(r"^(?P<where>[^:]+):\d+: error: (?P<what>.*)$")


def _run(*command: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, env=env)


def imports_as_on_windows() -> list[str]:
    result = _run(sys.executable, "-m", "tests.as_on_windows")
    if result.returncode != 0:
        return [f"tests/as_on_windows.py failed: {result.stderr.strip()}"]
    report = json.loads(result.stdout)
    print(f"  {len(report['failures'])} of {report['modules']} modules fail to import as on Windows")
    return [f"{name}: {error}" for name, error in report["failures"].items()]


def type_errors_by_platform() -> list[str]:
    """The errors mypy finds for Windows or macOS and not for Linux (a line number may differ: compared
    by file and message)."""
    found: dict[str, set[str]] = {}
    for platform in PLATFORMS:
        result = _run(sys.executable, "-m", "mypy", "--platform", platform, "--cache-dir",
                      str(ROOT / ".mypy_cache" / f"platform-{platform}"), "core", "app")
        errors = set()
        for line in result.stdout.splitlines():
            match = _ERROR.match(line)
            if match:
                errors.add(f"{match['where']}: {match['what']}")
        found[platform] = errors
        print(f"  mypy --platform {platform}: {len(errors)} error(s) in core/ and app/")
    problems = []
    for platform in PLATFORMS[1:]:
        only = sorted(found[platform] - found["linux"])
        print(f"  of which {platform} only: {len(only)}")
        problems += [f"{platform} only: {error}" for error in only]
    return problems


def legacy_code_page() -> list[str]:
    env = dict(os.environ, PYTHONIOENCODING="cp932", QT_QPA_PLATFORM="offscreen")
    result = _run(sys.executable, "-m", "app", "run", "--scenario", "seed", "--speed", "50", env=env)
    print(f"  PYTHONIOENCODING=cp932 joinscope run --scenario seed: exit code {result.returncode}")
    return [] if result.returncode == 0 else [f"cp932: exit code {result.returncode}: {result.stderr[-500:]}"]


def portability_tests() -> list[str]:
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                             "tests/test_portability.py"], cwd=ROOT)
    return [] if result.returncode == 0 else ["tests/test_portability.py failed"]


def main() -> int:
    problems: list[str] = []
    for title, check in (("imports as on Windows", imports_as_on_windows),
                         ("types on each platform", type_errors_by_platform),
                         ("a legacy code page", legacy_code_page),
                         ("tests/test_portability.py", portability_tests)):
        print(f"== {title}", flush=True)
        problems += check()
    for problem in problems:
        print(f"FAILED {problem}")
    print("portability: all checks passed" if not problems else f"portability: {len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
