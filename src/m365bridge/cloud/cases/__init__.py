"""Support cases, their messages, and the outbox that delivers case events to the connector."""
