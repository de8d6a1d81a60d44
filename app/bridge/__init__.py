"""The bridge from a core session to Qt: the event pump on its QThread and the run controller."""
