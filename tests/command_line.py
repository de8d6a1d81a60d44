"""``joinscope ARGS`` run in the test's own process: its exit code and what it wrote.

Faster than a subprocess; a command that opens a window does so offscreen, as the suite runs."""
from __future__ import annotations

from app.cli.main import main


def run_cli(capsys, *args: str) -> tuple[int, str, str]:
    """The exit code (a refusal's ``SystemExit`` included), standard output and standard error."""
    try:
        code = main(list(args))
    except SystemExit as exit_:
        code = exit_.code
    captured = capsys.readouterr()
    return code, captured.out, captured.err
