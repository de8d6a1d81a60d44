"""JoinScope's Qt application: windows, panels and plots over a core session, and the command line."""


def version() -> str:
    """JoinScope's version, as installed (``--version``, Help ▸ About)."""
    from importlib import metadata
    try:
        return metadata.version("joinscope")
    except metadata.PackageNotFoundError:
        return "(not installed)"
