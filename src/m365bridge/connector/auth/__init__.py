"""Inbound authentication: who is calling, and may they.

``dependencies`` is the one gate every route depends on; it resolves a ``principal.Principal`` through one
of four capabilities: ``sessions`` (UI sign-in, sessions, passwords for Basic and the password grant, the
throttle), ``oauth`` (the connector's own OAuth server, ``/oauth_token.do``, and its clients), ``oidc``
(provider-issued JWTs: providers, entities, token validation) and ``allowlist`` (which addresses may call).
"""
