"""Inbound authentication: UI sessions, HTTP Basic, the connector's own OAuth tokens, Entra-issued JWTs."""
