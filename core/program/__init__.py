"""The program the actors run: the tutorial's code, its plan, the run's shared control, orderly exits."""
