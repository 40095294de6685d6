"""The admin center's "Support integration" settings: which app may call, and where each repository lives."""
