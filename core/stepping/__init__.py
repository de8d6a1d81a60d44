"""Step mode's machinery: actors held at a gate before each operation and let through one at a time."""
