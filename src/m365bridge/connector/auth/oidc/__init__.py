"""Provider-issued JWTs as bearer tokens: OIDC provider configurations, entities, and token validation."""
