"""The support-engineer console: Microsoft's side of each case."""
