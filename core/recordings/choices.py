"""What ``joinscope replay`` and ``export`` accept, without the machinery behind them.

The command line builds one parser for every command before it knows which one
runs; these constants let it describe ``replay`` and ``export`` without importing
the run model and numpy (tens of milliseconds), which ``joinscope trace`` —
whose start-up is part of every traced program's wall time — never needs.
"""
from __future__ import annotations

#: The export formats: Chrome/Perfetto trace-event JSON, and CSV.
PERFETTO = "perfetto"
CSV = "csv"
EXPORT_FORMATS = (PERFETTO, CSV)
#: The replay speeds offered, as multiples of the recorded pace.
REPLAY_SPEEDS = (0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0)
