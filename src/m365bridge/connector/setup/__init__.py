"""The connector's setup flow: modes, steps, Test connection, the inbound Endpoint and the setup gate."""
