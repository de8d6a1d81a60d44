"""The queues and pools that report every operation, and how their records travel to the observer."""
