"""How JoinScope writes a file the user asked for (an export, a picture of the plots): whole
or not at all, with the permissions a recording gets, and never over the file it was made from.

Light on purpose (the standard library only): the command line checks its outputs with it
before it loads anything else.
"""
from __future__ import annotations

import os
import stat
from contextlib import contextmanager

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing before a traced program's launch
if TYPE_CHECKING:
    from collections.abc import Iterator
    from typing import IO, Any

#: The mode a new file is created with, less the umask: what ``open(path, "w")`` gives a recording.
NEW_FILE_MODE = 0o666


@contextmanager
def replacing_path(path: str | os.PathLike[str]) -> Iterator[str]:
    """A temporary path beside ``path`` that replaces it only if the block completes without
    an exception (otherwise it is removed).

    The file ends with the permissions a recording gets (``joinscope run --record`` opens its
    file in place): those of the file it replaces, or a new file's (``0o666`` less the umask).
    (``tempfile.mkstemp`` would leave every export readable by its owner only.)"""
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    try:
        kept_mode: int | None = stat.S_IMODE(os.stat(path).st_mode)
    except OSError:
        kept_mode = None
    temporary = _new_file_beside(folder)
    try:
        if kept_mode is not None:
            os.chmod(temporary, kept_mode)
        yield temporary
        os.replace(temporary, path)
    except BaseException:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        raise


def _new_file_beside(folder: str) -> str:
    """A new, empty file in ``folder`` with a name nobody else uses, made with :data:`NEW_FILE_MODE`
    (the system takes the umask off, as it does for any file a program opens to write)."""
    import secrets
    for _ in range(100):
        candidate = os.path.join(folder, f".joinscope-{secrets.token_hex(6)}.part")
        try:
            os.close(os.open(candidate, os.O_WRONLY | os.O_CREAT | os.O_EXCL, NEW_FILE_MODE))
        except FileExistsError:
            continue
        return candidate
    raise FileExistsError(f"no free temporary name in {folder}")


def is_same_file(output: str | os.PathLike[str], source: str | os.PathLike[str]) -> bool:
    """Whether writing ``output`` would replace ``source``: the same file by any name (a link, a
    relative path).  An export refuses it, which would lose the recording it reads."""
    try:
        return os.path.samefile(output, source)
    except OSError:  # one of them is not there: they are not the same
        return False


@contextmanager
def replacing(path: str | os.PathLike[str], mode: str = "w", **options: Any) -> Iterator[IO[Any]]:
    """A file to write that becomes ``path`` only if the block completes without an exception."""
    with replacing_path(path) as temporary, open(temporary, mode, **options) as out:
        yield out
