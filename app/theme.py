"""JoinScope's one colour language, chosen to read on a projector and by colour-blind eyes.

Each colour means one thing.  An actor's state has one fixed colour (from the Okabe–Ito
palette, which stays apart under the common colour-vision deficiencies), used by the
swimlanes, their legend and the step list; a state that differs from another only in
what it waits for is drawn striped (joining a process beside waiting in a queue's
join; paused beside starting).  The plot series use colours no state uses, and the
banner's colours are reserved to how a run ended.
"""
from __future__ import annotations

from core.analysis import model, outcome

# -- the plot series (no state uses these) --------------------------------------------------
UNFINISHED = "#000000"
DEPTH = "#0072b2"
#: The band between them: tasks got and not yet marked done (RGBA).
IN_PROGRESS = (0, 114, 178, 45)
RATE = "#8c564b"
RATE_FILL = (140, 86, 75, 50)
#: A join: its ▼ where it was entered, its dashed line where it returned (the state colour of
#: waiting in a join, which it marks).
JOIN = "#cc79a7"
#: The user's pauses, shaded across every plot (RGBA).
PAUSE_SHADE = (120, 120, 120, 45)
BACKGROUND = "w"
FOREGROUND = "#222222"
PLOT_FONT_PT = 11

# -- actor states -------------------------------------------------------------------------------
#: Swimlane colour of each actor state.
STATE_COLOURS: dict[str, str] = {
    model.STARTING: "#bdbdbd",
    model.RUNNING: "#cfe3f3",
    model.PAUSED: "#bdbdbd",
    model.WORKING: "#009e73",
    model.WAITING_GET: "#f0e442",
    model.BLOCKED_PUT: "#e69f00",
    model.WAITING_JOIN: JOIN,
    model.JOINING_PROCESS: JOIN,
    model.EXITED: "#f0f0f0",
    model.CRASHED: "#d55e00",
    model.STOPPED: "#555555",
    #: A pool's result handler running a callback: sky blue, apart from a worker's bluish green.
    model.RUNNING_CALLBACK: "#56b4e9",
}
#: States drawn striped (their colour and white in turn), to tell them from the solid one of
#: the same colour: joining a process, not a queue; paused at the step gate, not starting.
STRIPED_STATES = frozenset({model.JOINING_PROCESS, model.PAUSED})

# -- how a run ended ----------------------------------------------------------------------------
_BANNER = "padding:8px; font-size:15px; border:2px solid {edge}; background:{fill}; color:{text};"
#: The banner over the plots, by outcome (see core.analysis.outcome): green only for a clean run.
BANNERS: dict[str, str] = {
    outcome.CLEAN: _BANNER.format(fill="#e6f4ea", edge="#2ca02c", text="#1e4620"),
    outcome.WARNING: _BANNER.format(fill="#fff3cd", edge="#e0a800", text="#7a4f00"),
    outcome.STALLED: _BANNER.format(fill="#fff3cd", edge="#e0a800", text="#7a4f00"),
    outcome.FAILED: _BANNER.format(fill="#fde2e1", edge="#c92a2a", text="#7d1212"),
}
