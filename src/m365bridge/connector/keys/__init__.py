"""Secrets at rest in the connector's database: which columns are encrypted, and rotating the key."""
