"""Microsoft Graph v1.0 service communications: service health, issues and Message Center posts."""
