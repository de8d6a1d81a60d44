"""Numbers on the command line: the parser of an option bounded by limits, and the limits
written out as people type them (``1,000,000,000``, never ``1e+09``; the seed's
``-9,223,372,036,854,775,808``, never ``-9.22337e+18``).

Imported by every command line, ``joinscope trace`` included: it loads only what argparse has
loaded already.
"""
from __future__ import annotations

import argparse

from core.numbers import plain

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing before a traced program's launch
if TYPE_CHECKING:
    from collections.abc import Callable


def bounded(kind: type, low: float, high: float, what: str, *, above: bool = False,
            hint: str = "") -> Callable[[str], float]:
    """The parser of an option that takes ``what`` (``kind``: ``int`` or ``float``) from ``low``
    (or, ``above``, more than ``low``) to ``high``: its error names the limits and ``hint``
    (``" (1.5 for a projector)"``).  ``nan`` and the infinities are refused."""
    def parse(text: str) -> float:
        try:
            value = kind(text)
        except ValueError:
            value = None
        if value is None or value != value or not low <= value <= high or (above and value == low):
            limits = f"above {plain(low)} and up to {plain(high)}" if above else f"from {plain(low)} to {plain(high)}"
            raise argparse.ArgumentTypeError(f"must be {what} {limits}{hint}, not {text!r}")
        return value
    return parse
