"""The inbound REST allowlist: which addresses may call the API when it is enforced."""
