"""Periodic housekeeping: old log lines, login failures, idle sessions and dead tokens are purged."""
