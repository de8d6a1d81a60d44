"""The code the actors run: the tutorial's, its plan, the run's shared control, orderly exits; the readers' pools."""
