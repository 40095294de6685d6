"""Clients of the Microsoft 365 support service (the cloud side's connector-facing API)."""
