"""Whether a file the command line is asked to write can be written, said before any work
is done: ``--record FILE``, ``--screenshot FILE``, ``export … OUT``.

The answer is the system's own (``Is a directory``, ``Permission denied``, ``No such file
or directory``, ``Read-only file system``…), found by opening the file to write as the
command later will, without changing it: a file that is there is opened without being
truncated; one that is not is created and removed again.  An output that is one of the
command's inputs is refused (exporting a trace over itself would lose the recording).
"""
from __future__ import annotations

import errno
import os


def write_refusal(path: str, *, overwrite: bool = True) -> str | None:
    """Why ``path`` cannot be written, in a few words ending with the system's reason
    (``None``: it can).  Without ``overwrite``, a file already there is refused too."""
    if os.path.isdir(path):
        return f"cannot write {path}: {os.strerror(errno.EISDIR)}"
    there = os.path.lexists(path)
    if there and not overwrite:
        return f"{path} already exists (use --overwrite to replace it)"
    try:
        if there:
            os.close(os.open(path, os.O_WRONLY))
        else:
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
            os.unlink(path)
    except OSError as error:
        return f"cannot write {path}: {error.strerror or error}"
    return None
