"""JoinScope's windows: the main window, compare, a traced program's window, Fix it."""
