"""The connector: the service-desk side (setup, users, inbound auth, incidents, the support tab)."""
