"""JoinScope's one colour language, chosen to read on a projector and by colour-blind eyes, in
a light and a dark scheme (the system's, see app/appearance.py).

Each colour means one thing.  An actor's state has one fixed colour (from the Okabe–Ito
palette, which stays apart under the common colour-vision deficiencies), used by the
swimlanes, their legend and the step list; a state that differs from another only in
what it waits for is drawn striped (joining a process beside waiting in a queue's
join; paused beside starting).  The plot series use colours no state uses, and the
banner's colours are reserved to how a run ended.
"""
from __future__ import annotations

from dataclasses import dataclass

from core.analysis import model, outcome


# -- light or dark -------------------------------------------------------------------------------
@dataclass(frozen=True)
class Scheme:
    """The colours that change with the system's light or dark scheme (the states' and the plot
    series' do not: they read on both backgrounds)."""

    dark: bool
    #: The plots' ground and their text (axes, labels).
    background: str
    foreground: str
    #: The unfinished-tasks line: the strongest contrast with the ground.
    unfinished: str
    #: Behind a join's label on the plots (RGBA).
    label_fill: tuple[int, int, int, int]
    #: Behind the line an actor is paused before, and the step narration.
    shade: str
    #: Line numbers, file names: there but quiet.
    quiet: str
    #: A right answer, a wrong one, a question (text colours).
    right: str
    wrong: str
    question: str


LIGHT = Scheme(False, "#ffffff", "#222222", "#000000", (255, 255, 255, 220), "#e9e9e9", "#808080",
               "#2b8a3e", "#c92a2a", "#5f3dc4")
DARK = Scheme(True, "#1b1b1b", "#e6e6e6", "#f5f5f5", (27, 27, 27, 220), "#3b3b3b", "#9e9e9e",
              "#69db7c", "#ff8787", "#b197fc")
_scheme = LIGHT
#: Text sizes are multiplied by this (View ▸ Zoom: Ctrl + / Ctrl − / Ctrl 0).
_zoom = 1.0


def scheme() -> Scheme:
    return _scheme


def use_scheme(dark: bool) -> None:
    global _scheme
    _scheme = DARK if dark else LIGHT


def use_zoom(factor: float) -> None:
    global _zoom
    _zoom = factor


def px(size: float) -> int:
    """A text size given in pixels at zoom 1, at the zoom now."""
    return max(round(size * _zoom), 6)


# -- the plot series (no state uses these) --------------------------------------------------
DEPTH = "#0072b2"
#: The band between them: tasks got and not yet marked done (RGBA).
IN_PROGRESS = (0, 114, 178, 45)
RATE = "#8c564b"
RATE_FILL = (140, 86, 75, 50)
#: A join: its ▼ where it was entered, its dashed line where it returned (the state colour of
#: waiting in a join, which it marks).
JOIN = "#cc79a7"
#: The moment of the event picked in the log, across every plot (a thin dash-dot line).
MOMENT = "#888888"
#: The user's pauses, shaded across every plot (RGBA).
PAUSE_SHADE = (120, 120, 120, 45)
PLOT_FONT_PT = 11
#: Who is who in the step list and the code: a badge each (no colour: colours say states).
ACTOR_BADGES = "①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯"

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
_BANNER = "padding:8px; font-size:{size}px; border:2px solid {edge}; background:{fill}; color:{text};"
#: The banner's (fill, edge, text) by outcome (see core.analysis.outcome), light and dark: green
#: only for a clean run.
_BANNER_COLOURS: dict[str, tuple[tuple[str, str, str], tuple[str, str, str]]] = {
    outcome.CLEAN: (("#e6f4ea", "#2ca02c", "#1e4620"), ("#16331f", "#2ca02c", "#b8f0c6")),
    outcome.WARNING: (("#fff3cd", "#e0a800", "#7a4f00"), ("#3a2f0b", "#e0a800", "#ffe08a")),
    outcome.STALLED: (("#fff3cd", "#e0a800", "#7a4f00"), ("#3a2f0b", "#e0a800", "#ffe08a")),
    outcome.FAILED: (("#fde2e1", "#c92a2a", "#7d1212"), ("#3d1414", "#e03131", "#ffc9c9")),
}


def banner_style(level: str) -> str:
    """The banner's style sheet for an outcome, in the scheme and at the zoom now."""
    fill, edge, text = _BANNER_COLOURS[level][_scheme.dark]
    return _BANNER.format(size=px(15), fill=fill, edge=edge, text=text)
