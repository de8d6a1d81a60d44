"""Growable numpy columns for the values a run plots.

A run can produce millions of events; the plots need their times and counts as
contiguous arrays.  ``Series`` keeps preallocated columns and doubles them when
full, so appending stays cheap and a view for drawing costs no copy.
"""
from __future__ import annotations

import numpy as np

INITIAL_ROWS = 4096


class Series:
    """Rows of a fixed set of named columns, each a float64 or int32 numpy array."""

    def __init__(self, columns: dict[str, type], capacity: int = INITIAL_ROWS) -> None:
        self._dtypes = {name: np.dtype(dtype) for name, dtype in columns.items()}
        self._data = {name: np.empty(capacity, dtype) for name, dtype in self._dtypes.items()}
        self.size = 0

    def __len__(self) -> int:
        return self.size

    @property
    def capacity(self) -> int:
        return len(next(iter(self._data.values())))

    @property
    def nbytes(self) -> int:
        return sum(column.nbytes for column in self._data.values())

    def _reserve(self, extra: int) -> None:
        needed = self.size + extra
        if needed <= self.capacity:
            return
        capacity = self.capacity
        while capacity < needed:
            capacity *= 2
        for name, column in self._data.items():
            grown = np.empty(capacity, column.dtype)
            grown[: self.size] = column[: self.size]
            self._data[name] = grown

    def append(self, **values: float) -> None:
        self._reserve(1)
        row = self.size
        for name, value in values.items():
            self._data[name][row] = value
        self.size = row + 1

    def extend(self, **columns: np.ndarray | list) -> None:
        count = len(next(iter(columns.values())))
        if not count:
            return
        self._reserve(count)
        start = self.size
        for name, values in columns.items():
            self._data[name][start:start + count] = values
        self.size = start + count

    def column(self, name: str) -> np.ndarray:
        """A view of the filled part of column ``name`` (valid until the next append)."""
        return self._data[name][: self.size]

    def replace(self, **columns: np.ndarray) -> None:
        """Replace every row with ``columns`` (fewer rows: the capacity is kept)."""
        count = len(next(iter(columns.values())))
        self.size = 0
        self.extend(**columns)
        self.size = count

    def clear(self) -> None:
        self.size = 0
