"""Running tool code: the runner interface, the QuickJS engine driver, result mapping."""
