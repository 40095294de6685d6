"""Entra-ID-compatible identity: tenants, app registrations, client-credentials tokens, discovery, JWKS."""
