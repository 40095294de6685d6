"""Troubleshooting: the original's 16-row table as live checks (``connector doctor`` and its page)."""
