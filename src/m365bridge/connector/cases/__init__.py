"""Microsoft support cases on incidents: contact Microsoft support, the case thread, and case events."""
