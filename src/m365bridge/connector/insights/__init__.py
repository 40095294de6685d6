"""The incident's "Microsoft 365 support" tab: Microsoft 365 Insights (matching service health incidents and
recommended solutions), the search box, results kept with the incident, and feedback on each result."""
