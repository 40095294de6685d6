"""The incident's "Microsoft 365 support" tab: its sections composed in one place (``tab.py``)."""
