"""Folding events into what is drawn and said: the run model, timelines, narration, diagnosis, comparison."""
