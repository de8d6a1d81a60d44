"""Files the app ships (icons), read with ``importlib.resources.files("resources")``."""
