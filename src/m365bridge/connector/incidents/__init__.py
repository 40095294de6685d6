"""The incident table (ServiceNow-compatible), its Table API, pages and CLI."""
