"""The authorization-code grant (RFC 6749 section 4.1, with PKCE, RFC 7636) on the built-in service desk.

A code lives ``CODE_LIFESPAN_SECONDS`` (60 s: a browser redirect and one back-channel exchange take well
under a second; RFC 6749 recommends at most ten minutes) and is stored as a SHA-256 digest. It is bound to
the client and to the exact redirect URI it was sent to. Spending it is claimed by one conditional UPDATE,
the transaction's first statement, so two concurrent exchanges cannot both succeed; a replay revokes the
tokens the first exchange issued. PKCE: only S256 is accepted, and a code issued with a challenge needs
the matching verifier.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import re

from sqlalchemy.orm import Session

from m365bridge.connector.auth.authcode import repository
from m365bridge.connector.auth.authcode.models import AuthorizationCode
from m365bridge.connector.auth.oauth import repository as clients
from m365bridge.connector.auth.oauth import service as oauth
from m365bridge.connector.auth.oauth.models import OAuthClient
from m365bridge.connector.auth.oauth.service import GrantRefused, IssuedTokens
from m365bridge.connector.users import repository as users
from m365bridge.connector.users.models import User, new_sys_id
from m365bridge.connector.users.service import can_sign_in
from m365bridge.shared.orm import utcnow
from m365bridge.shared.tokens import new_token, token_digest

CODE_LIFESPAN_SECONDS = 60
# RFC 7636 section 4.1: 43 to 128 characters of the unreserved set (an S256 challenge is 43).
_PKCE_VALUE = re.compile(r"[A-Za-z0-9\-._~]{43,128}")


class AuthorizationRefused(Exception):
    """``/oauth_auth.do`` refuses. ``redirect`` says whether the error may go back to the redirect URI:
    never when the client or the redirect URI is wrong (RFC 6749 section 4.1.2.1), the user is told."""

    def __init__(self, error: str, description: str, *, redirect: bool) -> None:
        super().__init__(description)
        self.error = error
        self.description = description
        self.redirect = redirect


def check_client(session: Session, client_id: str, redirect_uri: str) -> OAuthClient:
    """The active client whose registered redirect URL is exactly ``redirect_uri``."""
    client = clients.client_by_client_id(session, client_id) if client_id else None
    if client is None or not client.active:
        raise AuthorizationRefused("invalid_client", "Unknown or inactive OAuth client.", redirect=False)
    if not client.redirect_url:
        raise AuthorizationRefused(
            "invalid_request",
            "This OAuth client has no redirect URL registered; an administrator must set one.",
            redirect=False,
        )
    if not hmac.compare_digest(client.redirect_url.encode(), redirect_uri.encode()):
        raise AuthorizationRefused(
            "invalid_request",
            "The redirect_uri does not match the redirect URL registered for this OAuth client.",
            redirect=False,
        )
    return client


def check_request(response_type: str, code_challenge: str | None, code_challenge_method: str | None) -> None:
    """What may be answered at the (already checked) redirect URI."""
    if response_type != "code":
        raise AuthorizationRefused(
            "unsupported_response_type", "Only response_type=code is supported.", redirect=True
        )
    if code_challenge is None and code_challenge_method is None:
        return
    if code_challenge_method != "S256":
        raise AuthorizationRefused(
            "invalid_request", "code_challenge_method must be S256 (plain is not accepted).", redirect=True
        )
    if code_challenge is None or not _PKCE_VALUE.fullmatch(code_challenge):
        raise AuthorizationRefused("invalid_request", "code_challenge is malformed.", redirect=True)


def issue_code(
    session: Session, client: OAuthClient, user: User, redirect_uri: str, code_challenge: str | None
) -> str:
    """A new code for ``user``; returns it (only its digest is stored)."""
    code = new_token()
    now = utcnow()
    repository.add(
        session,
        AuthorizationCode(
            code_digest=token_digest(code),
            client_id=client.id,
            user_id=user.id,
            redirect_uri=redirect_uri,
            code_challenge=code_challenge,
            created_at=now,
            expires_at=now + dt.timedelta(seconds=CODE_LIFESPAN_SECONDS),
        ),
    )
    return code


def s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def exchange(
    session: Session, client: OAuthClient, code: str, redirect_uri: str | None, code_verifier: str | None
) -> IssuedTokens:
    """Spend ``code`` for tokens of its user. Run in a writer: the claim is its first statement."""
    now = utcnow()
    digest = token_digest(code)
    claimed = repository.claim(session, digest, now)
    row = repository.by_digest(session, digest)
    if row is None or row.client_id != client.id:
        raise GrantRefused("authorization_code grant: unknown code, or issued to another client")
    if not claimed:
        if row.used_at is not None and row.family_id:
            oauth.revoke_family(session, row.family_id, now)
            raise GrantRefused("authorization code reused; the tokens issued for it are revoked")
        raise GrantRefused("authorization code expired")
    if redirect_uri is None or not hmac.compare_digest(row.redirect_uri.encode(), redirect_uri.encode()):
        raise GrantRefused("redirect_uri differs from the one the code was issued for")
    _check_verifier(row.code_challenge, code_verifier)
    user = users.by_id(session, row.user_id)
    if user is None or not can_sign_in(user):
        raise GrantRefused("user inactive or locked")
    row.family_id = new_sys_id()
    return oauth.issue(session, client, user, row.family_id)


def _check_verifier(challenge: str | None, verifier: str | None) -> None:
    if challenge is None:
        if verifier is not None:
            raise GrantRefused("code_verifier sent for a code issued without a code_challenge")
        return
    if verifier is None or not _PKCE_VALUE.fullmatch(verifier):
        raise GrantRefused("code_verifier missing or malformed")
    if not hmac.compare_digest(s256(verifier).encode(), challenge.encode()):
        raise GrantRefused("code_verifier does not match the code_challenge")


def purge_codes(session: Session, *, now: dt.datetime | None = None) -> int:
    """Delete codes spent or expired more than a day ago; returns how many went."""
    return repository.delete_expired(session, (now or utcnow()) - dt.timedelta(days=1))
