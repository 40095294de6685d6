"""The connector's logs: the system log (here) and the outbound HTTP log."""
