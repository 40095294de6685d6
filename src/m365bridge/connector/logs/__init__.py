"""The connector's logs: the system log and the outbound HTTP log."""
