"""The connector's own OAuth server (``/oauth_token.do``): its clients, password and refresh-token grants, and
the access tokens it issued as bearer credentials.

Refresh tokens rotate. The rotation is claimed by one conditional UPDATE, so of two concurrent uses of one
refresh token exactly one rotates it; the other, like any retry inside the grace window, receives the same
successor. Reuse after the grace window means the token leaked: the whole family is revoked.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from sqlalchemy.orm import Session

from m365bridge.connector.auth.oauth import repository
from m365bridge.connector.auth.oauth.models import OAuthClient, OAuthToken
from m365bridge.connector.auth.principal import Principal
from m365bridge.connector.context import ConnectorContext
from m365bridge.connector.users import repository as users
from m365bridge.connector.users.models import User, new_sys_id
from m365bridge.connector.users.service import can_sign_in
from m365bridge.shared.db import transaction
from m365bridge.shared.errors import NotFound, UserError
from m365bridge.shared.orm import utcnow
from m365bridge.shared.passwords import hash_generated_secret, verify_generated_secret
from m365bridge.shared.tokens import new_token, token_digest

SCOPE = "useraccount"


@dataclass(frozen=True)
class IssuedTokens:
    access_token: str
    refresh_token: str
    expires_in: int

    def as_response(self) -> dict[str, str | int]:
        """ServiceNow's answer; a client_credentials grant has no refresh token, so none is sent."""
        answer: dict[str, str | int] = {"access_token": self.access_token}
        if self.refresh_token:
            answer["refresh_token"] = self.refresh_token
        return {**answer, "scope": SCOPE, "token_type": "Bearer", "expires_in": self.expires_in}


class GrantRefused(Exception):
    """The grant is refused; ``str(error)`` is a reason safe to log (never a credential)."""


def create_client(
    session: Session,
    name: str,
    *,
    access_token_lifespan: int = 1800,
    refresh_token_lifespan: int = 8_640_000,
    redirect_url: str = "",
) -> tuple[OAuthClient, str]:
    """A new OAuth API endpoint; returns it and the client secret, which is shown only this once."""
    if not name.strip():
        raise UserError("a name is required")
    _check_lifespans(access_token_lifespan, refresh_token_lifespan)
    redirect_url = check_redirect_url(redirect_url)
    secret = new_token(24)
    client = OAuthClient(
        name=name.strip(),
        client_id=new_sys_id(),
        client_secret_hash=hash_generated_secret(secret),
        access_token_lifespan=access_token_lifespan,
        refresh_token_lifespan=refresh_token_lifespan,
        redirect_url=redirect_url,
    )
    session.add(client)
    session.flush()
    return client, secret


# The consent page names the redirect URL's origin in its CSP (form-action): only a plain host[:port] fits.
_PLAIN_HOST = re.compile(r"[A-Za-z0-9.\-]+(:[0-9]{1,5})?|\[[0-9A-Fa-f:.]+\](:[0-9]{1,5})?")


def check_redirect_url(url: str) -> str:
    """An absolute http(s) URL without a fragment (RFC 6749 section 3.1.2), or empty (no code grant)."""
    url = url.strip()
    if not url:
        return ""
    parts = urlsplit(url)
    if (
        parts.scheme not in ("http", "https")
        or not parts.hostname
        or not _PLAIN_HOST.fullmatch(parts.netloc)
        or parts.fragment
        or len(url) > 1000
    ):
        raise UserError(
            "redirect URL: an absolute http or https URL of at most 1000 characters, with a plain host "
            "(no user info) and without a #fragment"
        )
    return url


# Ten years: far past ServiceNow's default refresh lifespan (100 days), and inside the database's integers
# and Python's timedelta, which a lifespan of 10^30 seconds overflowed (a 500).
MAX_LIFESPAN_SECONDS = 10 * 365 * 86_400


def _check_lifespans(access_token_lifespan: int, refresh_token_lifespan: int) -> None:
    if access_token_lifespan < 60 or refresh_token_lifespan < access_token_lifespan:
        raise UserError("lifespans: access at least 60 s, refresh at least as long as access")
    if refresh_token_lifespan > MAX_LIFESPAN_SECONDS:
        raise UserError(f"lifespans: at most {MAX_LIFESPAN_SECONDS} s (ten years)")


def update_client(
    session: Session,
    client: OAuthClient,
    *,
    name: str | None = None,
    access_token_lifespan: int | None = None,
    refresh_token_lifespan: int | None = None,
    active: bool | None = None,
    redirect_url: str | None = None,
) -> OAuthClient:
    """Change an endpoint; new lifespans apply to tokens issued from now on. Deactivating it stops every
    token it issued from working (the bearer check looks at the client), without deleting them."""
    access = client.access_token_lifespan if access_token_lifespan is None else access_token_lifespan
    refresh = client.refresh_token_lifespan if refresh_token_lifespan is None else refresh_token_lifespan
    _check_lifespans(access, refresh)
    if redirect_url is not None:
        client.redirect_url = check_redirect_url(redirect_url)
    if name is not None:
        if not name.strip():
            raise UserError("a name is required")
        client.name = name.strip()
    client.access_token_lifespan, client.refresh_token_lifespan = access, refresh
    if active is not None:
        client.active = active
    session.flush()
    return client


def new_client_secret(session: Session, client: OAuthClient) -> str:
    """Rotate the client secret; returns the new one, shown only this once. Tokens already issued stay
    valid until they expire (as in ServiceNow); refresh grants need the new secret from now on."""
    secret = new_token(24)
    client.client_secret_hash = hash_generated_secret(secret)
    session.flush()
    return secret


def list_clients(session: Session) -> Sequence[OAuthClient]:
    return repository.list_clients(session)


def get_client(session: Session, id_or_client_id: str) -> OAuthClient:
    client = repository.client_by_pk(session, id_or_client_id) or repository.client_by_client_id(
        session, id_or_client_id
    )
    if client is None:
        raise NotFound(f"no OAuth API endpoint {id_or_client_id!r}")
    return client


def delete_client(session: Session, id_or_client_id: str) -> None:
    session.delete(get_client(session, id_or_client_id))
    session.flush()


def authenticate_client(session: Session, client_id: str, client_secret: str) -> OAuthClient:
    client = repository.client_by_client_id(session, client_id)
    if (
        client is None
        or not client.active
        or not verify_generated_secret(client.client_secret_hash, client_secret)
    ):
        raise GrantRefused("unknown, inactive or wrong OAuth client credentials")
    return client


def _token(
    kind: str, client: OAuthClient, user_id: str, family_id: str, now: dt.datetime
) -> tuple[str, OAuthToken]:
    plain = new_token()
    lifespan = client.access_token_lifespan if kind == "access" else client.refresh_token_lifespan
    row = OAuthToken(
        token_digest=token_digest(plain),
        kind=kind,
        family_id=family_id,
        client_id=client.id,
        user_id=user_id,
        created_at=now,
        expires_at=now + dt.timedelta(seconds=lifespan),
    )
    return plain, row


def issue(session: Session, client: OAuthClient, user: User, family_id: str | None = None) -> IssuedTokens:
    """A new access and refresh token for ``user`` (a new family after a password grant)."""
    now = utcnow()
    family = family_id or new_sys_id()
    access, access_row = _token("access", client, user.id, family, now)
    refresh, refresh_row = _token("refresh", client, user.id, family, now)
    session.add_all([access_row, refresh_row])
    session.flush()
    return IssuedTokens(access, refresh, client.access_token_lifespan)


def set_run_as(session: Session, client: OAuthClient, user_name: str) -> OAuthClient:
    """The user the client_credentials grant acts as; "" removes it (the grant is then refused)."""
    if not user_name.strip():
        client.run_as_user_id = None
    else:
        user = users.by_user_name(session, user_name.strip())
        if user is None:
            raise NotFound(f"no user {user_name.strip()!r}")
        client.run_as_user_id = user.id
    session.flush()
    return client


def client_credentials(session: Session, client: OAuthClient) -> IssuedTokens:
    """An access token (no refresh token, as on ServiceNow) for the client's "run as" user."""
    user = users.by_id(session, client.run_as_user_id) if client.run_as_user_id else None
    if user is None:
        raise GrantRefused("client_credentials: this OAuth client has no run-as user")
    if not can_sign_in(user):
        raise GrantRefused("client_credentials: the run-as user is inactive or locked")
    access, row = _token("access", client, user.id, new_sys_id(), utcnow())
    session.add(row)
    session.flush()
    return IssuedTokens(access, "", client.access_token_lifespan)


def refresh(
    context: ConnectorContext, session: Session, client: OAuthClient, refresh_token: str
) -> IssuedTokens:
    """Rotate ``refresh_token``; the claim UPDATE is the transaction's first statement (see module doc)."""
    now = utcnow()
    digest = token_digest(refresh_token)
    claimed = repository.claim_rotation(session, digest, client.id, now)
    row = repository.token_by_digest(session, digest)
    if row is None or row.kind != "refresh" or row.client_id != client.id:
        raise GrantRefused("unknown refresh token")
    user = users.by_id(session, row.user_id)
    if user is None or not can_sign_in(user):
        raise GrantRefused("user inactive or locked")
    if claimed:
        tokens = issue(session, client, user, row.family_id)
        row.successor_encrypted = context.secrets.encrypt(tokens.refresh_token)
        return tokens
    return _reuse(context, session, client, user, row, now)


def _reuse(
    context: ConnectorContext,
    session: Session,
    client: OAuthClient,
    user: User,
    row: OAuthToken,
    now: dt.datetime,
) -> IssuedTokens:
    grace = dt.timedelta(seconds=context.settings.refresh_grace_seconds)
    if row.revoked_at is not None or row.expires_at <= now:
        raise GrantRefused("refresh token expired or revoked")
    if row.rotated_at is not None and now - row.rotated_at <= grace and row.successor_encrypted:
        successor = context.secrets.decrypt(row.successor_encrypted)
        access, access_row = _token("access", client, user.id, row.family_id, now)
        session.add(access_row)
        return IssuedTokens(access, successor, client.access_token_lifespan)
    revoke_family(session, row.family_id, now)
    raise GrantRefused("rotated refresh token reused after the grace window; token family revoked")


def revoke_family(session: Session, family_id: str, now: dt.datetime) -> None:
    repository.revoke_families(session, [family_id], now)


def keep_newest_grants(session: Session, client: OAuthClient, user: User, keep: int) -> int:
    """Revoke all but the ``keep`` newest live password grants of ``client`` for ``user``.

    An integration that signs in again instead of refreshing would otherwise pile up live token families
    for the refresh lifespan (100 days by default). Returns how many families were revoked.
    """
    now = utcnow()
    stale = repository.live_grant_families(session, client.id, user.id, now)[keep:]
    if stale:
        repository.revoke_families(session, stale, now)
    return len(stale)


def purge_tokens(session: Session, *, now: dt.datetime | None = None) -> int:
    """Delete expired and revoked tokens; returns how many went.

    A rotated refresh token stays until it expires so that its reuse is still recognised (and revokes
    the family); once it is gone a reuse is refused as an unknown token, which is just as safe.
    """
    return repository.delete_expired_or_revoked(session, now or utcnow())


def resolve_access_token(context: ConnectorContext, token: str) -> tuple[Principal | str, float | None]:
    """The principal of one of this server's access tokens and until when it may be remembered (its
    expiry), or the reason (safe to log) why it is refused."""
    with transaction(context.sessions) as session:
        row = repository.token_by_digest(session, token_digest(token))
        if row is None or row.kind != "access":
            return "unknown access token", None
        if row.revoked_at is not None or row.expires_at <= utcnow():
            return "access token expired or revoked", None
        client = repository.client_by_pk(session, row.client_id)
        user = users.by_id(session, row.user_id)
        if client is None or not client.active:
            return "OAuth client inactive", None
        if user is None or not can_sign_in(user):
            return "user inactive or locked", None
        return Principal.of(user, "bearer"), row.expires_at.timestamp()
