"""Microsoft 365 service health: the Graph client, the sync job, local storage and incident matching."""
