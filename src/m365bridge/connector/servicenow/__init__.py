"""A customer's own ServiceNow instance: its Table API client, credentials, Test connection, update set."""
