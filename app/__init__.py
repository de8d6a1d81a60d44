"""JoinScope's Qt application: windows, panels and plots over a core session, and the command line."""
