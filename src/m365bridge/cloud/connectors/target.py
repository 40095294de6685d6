"""What this package needs to know about a connector: where it is and how to authenticate to it."""

from __future__ import annotations

from typing import Protocol

BASIC_AUTH = "Basic Auth"
AAD_AUTH = "AAD Auth"


class Target(Protocol):
    """A connector as the admin center stores it (``integration.models.SupportRepository`` is one).

    Basic Auth: ``client_id``/``client_secret`` are the connector's OAuth client, ``rest_username`` and
    ``rest_password`` its integration user. AAD Auth: ``client_id``/``client_secret`` are the REST user
    app's credentials and ``token_audience`` the REST API app's App ID URI (or app id).
    """

    @property
    def id(self) -> str: ...
    @property
    def tenant_id(self) -> str: ...
    @property
    def endpoint(self) -> str: ...
    @property
    def auth_type(self) -> str: ...
    @property
    def client_id(self) -> str: ...
    @property
    def client_secret_encrypted(self) -> str | None: ...
    @property
    def rest_username(self) -> str: ...
    @property
    def rest_password_encrypted(self) -> str | None: ...
    @property
    def refresh_token_expiry(self) -> int: ...
    @property
    def token_audience(self) -> str: ...
    @property
    def deliverable(self) -> bool: ...
