"""JoinScope's engine, with no Qt: the vocabulary at the top, then one subpackage per part.

``events``, ``scenarios``, ``backends`` and ``sources`` are the words every part shares;
``queues`` report each operation and carry the records; ``program`` is the code the actors
run; ``stepping`` holds them one operation at a time; ``sessions`` run them as processes,
threads or asyncio tasks; ``analysis`` folds the events into what is drawn and said;
``teaching`` is what step mode says and asks; ``recordings`` are trace files, replays and
exports; ``tracing`` observes a user's own program.
"""
