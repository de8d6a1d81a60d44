"""The panels around the plots: controls, the event log, the story, step mode, replay, export."""
