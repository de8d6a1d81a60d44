"""The ``joinscope`` command line: parsing, exit codes, the headless commands; no Qt at import."""
