"""Numbers as people write them: in full, in groups of three digits (``1,000,000,000``, never
``1e+09``; ``3,600,000 ms``, never ``3.6e+06``), for the command line's limits and the window's
sliders alike.  Imports nothing: ``joinscope trace`` loads it before a traced program starts.
"""
from __future__ import annotations


def plain(value: float) -> str:
    """``value`` in full, in groups of three digits: a whole number as one (``3,600,000``), any
    other with as many decimals as it has (``0.001``), never in exponent notation."""
    if isinstance(value, int) or value.is_integer():
        return f"{int(value):,}"
    digits = repr(abs(value))
    if "e" in digits:  # 1e-07: written out by decimal (not loaded otherwise: a traced program waits)
        from decimal import Decimal
        digits = format(Decimal(digits), "f")
    whole, _, fraction = digits.partition(".")
    return f"{'-' if value < 0 else ''}{int(whole):,}.{fraction}"
