"""Protocol-neutral utilities shared by both sides (no side-specific models or routes live here)."""
