"""Agents sign in to the connector with their ServiceNow account (authorization code against the instance)."""
