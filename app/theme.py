"""Colours and fonts, chosen to read on a projector: strong hues, thick lines, large text."""
from __future__ import annotations

from core.analysis import model

DEPTH = "#1f77b4"
UNFINISHED = "#d62728"
IN_PROGRESS = (214, 39, 40, 60)
JOIN = "#2ca02c"
JOIN_EARLY = "#ff7f0e"
RATE = "#9467bd"
BACKGROUND = "w"
FOREGROUND = "#222222"
PLOT_FONT_PT = 11

#: Swimlane colour of each actor state.
STATE_COLOURS: dict[str, str] = {
    model.STARTING: "#c7c7c7",
    model.RUNNING: "#aec7e8",
    model.WORKING: "#2ca02c",
    model.WAITING_GET: "#ffdd71",
    model.BLOCKED_PUT: "#ff7f0e",
    model.WAITING_JOIN: "#9467bd",
    model.EXITED: "#f0f0f0",
    model.CRASHED: "#d62728",
    model.STOPPED: "#7f7f7f",
    model.RUNNING_CALLBACK: "#17becf",
}
