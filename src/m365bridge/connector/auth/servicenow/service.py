"""Agents sign in with their ServiceNow account: the connector is an OAuth client of the configured instance.

The flow: ``begin`` builds the instance's ``/oauth_auth.do`` URL with a fresh ``state`` and a PKCE S256
challenge, and a cookie value that carries the state, the verifier and where to go next, encrypted with the
connector's key (so nothing is stored before the user comes back, and the state is bound to this browser).
``pending`` reads that cookie back at the callback. The instance's roles are mapped to the connector's with
``servicenow_roles_insights_user`` and ``servicenow_roles_administrator``; ``link_account`` keeps one
connector user per instance user (keyed by the instance and the user's ``sys_id``), without a password,
holding exactly the mapped roles of the latest sign-in.
"""

from __future__ import annotations

import base64
import hashlib
import json
import time
from dataclasses import dataclass, field
from urllib.parse import urlencode, urlsplit

from sqlalchemy.orm import Session

from m365bridge.connector.auth.servicenow import repository
from m365bridge.connector.auth.servicenow.client import AUTHORIZE_PATH, InstanceIdentity
from m365bridge.connector.auth.servicenow.models import InstanceAccount, SignInClient
from m365bridge.connector.context import ConnectorContext
from m365bridge.connector.servicenow.client import check_instance_url
from m365bridge.connector.servicenow.service import find_connection
from m365bridge.connector.settings import ConnectorSettings
from m365bridge.connector.users import repository as users
from m365bridge.connector.users.models import User, UserRole
from m365bridge.connector.users.roles import APP_ADMINISTRATOR, INSIGHTS_USER
from m365bridge.shared.db import transaction
from m365bridge.shared.errors import UserError
from m365bridge.shared.orm import utcnow
from m365bridge.shared.secretbox import SecretBoxError
from m365bridge.shared.tokens import new_token

CALLBACK_PATH = "/auth/servicenow/callback"
# Long enough to type a password and approve on the instance; the state is useless after it.
PENDING_SECONDS = 600


@dataclass(frozen=True)
class SignInConfig:
    instance_url: str
    client_id: str
    client_secret: str = field(repr=False)


@dataclass(frozen=True)
class Pending:
    state: str
    verifier: str = field(repr=False)
    next_path: str = "/"


def set_client(session: Session, context: ConnectorContext, client_id: str, client_secret: str) -> None:
    """Store the OAuth client registered on the instance (its secret encrypted)."""
    if not client_id.strip() or not client_secret:
        raise UserError(
            "the sign-in needs the client id and the client secret of the instance's OAuth client"
        )
    row = repository.client(session) or SignInClient()
    row.client_id = client_id.strip()
    row.client_secret = context.secrets.encrypt(client_secret)
    repository.save_client(session, row)


def clear_client(session: Session) -> bool:
    return repository.delete_client(session) > 0


def redirect_uri(settings: ConnectorSettings) -> str:
    """The URL to register on the instance's OAuth client as its Redirect URL."""
    return f"{settings.base_url}{CALLBACK_PATH}"


def load_config(context: ConnectorContext) -> SignInConfig | None:
    """The sign-in's configuration, or None while no instance or no sign-in client is configured."""
    with transaction(context.sessions) as session:
        connection = find_connection(session)
        client = repository.client(session)
        if connection is None or client is None:
            return None
        url, client_id, secret = connection.url, client.client_id, client.client_secret
    allow_http = context.settings.servicenow_allow_loopback_http
    return SignInConfig(
        check_instance_url(url, allow_loopback_http=allow_http), client_id, context.secrets.decrypt(secret)
    )


def offered(context: ConnectorContext) -> bool:
    """Whether the sign-in page shows "Sign in with ServiceNow"."""
    with transaction(context.sessions) as session:
        return find_connection(session) is not None and repository.client(session) is not None


def _s256(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


def begin(context: ConnectorContext, config: SignInConfig, next_path: str) -> tuple[str, str]:
    """The instance's authorization URL and the pending cookie's (encrypted) value."""
    pending = Pending(state=new_token(), verifier=new_token(48), next_path=next_path)
    query = urlencode(
        {
            "response_type": "code",
            "client_id": config.client_id,
            "redirect_uri": redirect_uri(context.settings),
            "state": pending.state,
            "code_challenge": _s256(pending.verifier),
            "code_challenge_method": "S256",
        }
    )
    cookie = {"state": pending.state, "verifier": pending.verifier, "next": next_path, "at": time.time()}
    return f"{config.instance_url}{AUTHORIZE_PATH}?{query}", context.secrets.encrypt(json.dumps(cookie))


def pending(context: ConnectorContext, cookie: str | None) -> Pending | None:
    """The sign-in this browser began, or None (no cookie, not ours, or older than ``PENDING_SECONDS``)."""
    if not cookie:
        return None
    try:
        data = json.loads(context.secrets.decrypt(cookie))
    except (SecretBoxError, ValueError):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("at"), (int, float)):
        return None
    if not 0 <= time.time() - data["at"] <= PENDING_SECONDS:
        return None
    return Pending(str(data.get("state", "")), str(data.get("verifier", "")), str(data.get("next", "/")))


def map_roles(settings: ConnectorSettings, instance_roles: frozenset[str]) -> frozenset[str]:
    """The connector roles the instance roles grant (none: the user may not sign in)."""
    granted = set()
    if instance_roles & set(settings.servicenow_roles_insights_user):
        granted.add(INSIGHTS_USER)
    if instance_roles & set(settings.servicenow_roles_administrator):
        granted.add(APP_ADMINISTRATOR)
    return frozenset(granted)


def needed_roles(settings: ConnectorSettings) -> list[str]:
    return sorted(set(settings.servicenow_roles_insights_user) | set(settings.servicenow_roles_administrator))


def link_account(
    session: Session, instance_url: str, identity: InstanceIdentity, roles: frozenset[str]
) -> User | None:
    """The connector user of this instance user, holding exactly ``roles``; None when an administrator
    deactivated or locked it on the connector (the connector's own say wins over the instance's)."""
    account = repository.account(session, instance_url, identity.sys_id)
    user = users.by_id(session, account.user_id) if account is not None else None
    if user is None:
        user = User(user_name=_free_user_name(session, identity, instance_url), name=identity.user_name)
        session.add(user)
        session.flush()
        if account is not None:
            account.user_id = user.id
        else:
            account = InstanceAccount(
                instance_url=instance_url,
                instance_user_sys_id=identity.sys_id,
                instance_user_name=identity.user_name,
                user_id=user.id,
            )
            repository.add_account(session, account)
    if not user.active or user.locked:
        return None
    assert account is not None
    account.instance_user_name, account.signed_in_at = identity.user_name, utcnow()
    kept = [grant for grant in user.role_grants if grant.role in roles]
    held = {grant.role for grant in kept}
    user.role_grants = kept + [UserRole(role=role) for role in sorted(roles - held)]
    session.flush()
    return user


def _free_user_name(session: Session, identity: InstanceIdentity, instance_url: str) -> str:
    """``name@instance-host``: apart from the connector's own accounts, and from another instance's."""
    base = f"{identity.user_name}@{urlsplit(instance_url).hostname}"[:200]
    name, n = base, 1
    while users.by_user_name(session, name) is not None:
        n += 1
        name = f"{base}#{n}"
    return name
