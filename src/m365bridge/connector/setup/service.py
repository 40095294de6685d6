"""The setup steps, shared by the pages, the ``connector setup`` command and the demo. Never commits.

Every step validates first and saves last, so a refused step leaves the stored setup as it was. Steps that
call other servers (token URL, OIDC metadata) read what they need in a short transaction of their own and
touch the caller's session only after the network call: with SQLite a transaction that has read and then
waits on the network could not write afterwards, and the server called may be calling the connector back.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from m365bridge.connector.auth.oauth import service as oauth_service
from m365bridge.connector.auth.oidc import service as oidc_service
from m365bridge.connector.auth.oidc.models import OIDCEntity
from m365bridge.connector.context import ConnectorContext
from m365bridge.connector.logs import system_log
from m365bridge.connector.registry import service as registry
from m365bridge.connector.registry.service import CLIENT_CREDENTIALS, OutboundCredentials
from m365bridge.connector.setup import checks, repository
from m365bridge.connector.setup.models import SetupState
from m365bridge.connector.setup.modes import LAST_STEP, STEP_TITLES, Mode, has_inbound
from m365bridge.connector.users import repository as users
from m365bridge.connector.users import service as user_service
from m365bridge.connector.users.roles import INCIDENT_MANAGER
from m365bridge.shared.db import transaction
from m365bridge.shared.errors import NotFound, UserError

INBOUND_PATH = "/api/x_mioms_m365_assis/inbound"
CROSS_SCOPE_REFUSAL = (
    "Read operation against 'oauth_entity' from scope 'x_mioms_m365_assis' has been refused due to the "
    "table's cross-scope access policy"
)
REPOSITORY_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,99}$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
DOMAIN = re.compile(r"^[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")


@dataclass(frozen=True)
class NewOutbound:
    """An outbound OAuth provider typed into step 1 instead of chosen from the registry."""

    name: str
    client_id: str
    client_secret: str = field(repr=False)
    token_url: str


@dataclass(frozen=True)
class AppSettings:
    sso: bool = False
    admin_email: str = ""
    test_environment: bool = True
    tenant_domain: str = ""
    feedback_prompts: bool = True


def endpoint(context: ConnectorContext) -> str:
    """The connector's inbound Endpoint, which the tenant's admin enters on the cloud side."""
    return f"{context.settings.base_url}{INBOUND_PATH}"


def get_state(session: Session) -> SetupState:
    return repository.get_or_create(session)


def _changed(state: SetupState, step: int) -> None:
    """A saved step moves the flow on (or keeps it where it was) and always un-confirms the last step."""
    state.next_step = max(state.next_step, step + 1)
    state.test_passed = False
    state.confirmed = False


def _require_reached(state: SetupState | None, step: int) -> Mode:
    if state is None or state.mode is None:
        raise UserError("Choose a setup mode first (answer the two questions on the Setup page).")
    if state.next_step < step:
        raise UserError(f"Finish step {state.next_step} ({STEP_TITLES[state.next_step]}) first.")
    return Mode(state.mode)


def start(session: Session, context: ConnectorContext, mode: Mode) -> SetupState:
    """Choose the mode. "Continue without any setup" is complete at once; a changed mode starts over."""
    state = get_state(session)
    if state.mode != mode.value:
        state.mode = mode.value
        state.next_step = 0
    state.graph_url = state.graph_url or context.settings.graph_url
    state.support_url = state.support_url or context.settings.support_url
    state.test_passed = state.confirmed = mode is Mode.NONE
    if mode is Mode.NONE:
        state.next_step = LAST_STEP + 1
    session.flush()
    return state


def allow_oauth_entity_read(session: Session) -> None:
    """The fix the original's guide gives for step 0: let the app's scope read ``oauth_entity``."""
    get_state(session).oauth_entity_read_allowed = True
    session.flush()


def agree(session: Session, context: ConnectorContext) -> None:
    """Step 0. A fresh install refuses, like the original, until the cross-scope read is allowed."""
    state = get_state(session)
    _require_reached(state, 0)
    if not state.oauth_entity_read_allowed:
        # The step fails and every caller rolls back; do it now: the refusal's log line is committed in a
        # unit of its own, whose write would otherwise wait for the write lock this session holds.
        session.rollback()
        with transaction(context.sessions, write=True) as log_session:
            system_log.write(log_session, "error", CROSS_SCOPE_REFUSAL, context={"step": 0})
        raise UserError(
            f"{CROSS_SCOPE_REFUSAL}. Allow the app to read OAuth entities ('Allow read of oauth_entity' on "
            "this page, or allow_oauth_entity_read = true in the setup file), then agree again."
        )
    _changed(state, 0)
    session.flush()


def _new_outbound_credentials(new: NewOutbound) -> OutboundCredentials:
    if not (new.name.strip() and new.client_id.strip() and new.client_secret):
        raise UserError("A new OAuth provider needs a name, the outbound app's client id and its secret.")
    if not new.token_url.strip().startswith(("https://", "http://")):
        raise UserError(
            f"The token URL {new.token_url!r} is not a URL; use "
            "https://login.microsoftonline.com/{tenant}/oauth2/token."
        )
    return OutboundCredentials(
        entity_id="",
        entity_name=new.name.strip(),
        client_id=new.client_id.strip(),
        client_secret=new.client_secret,
        token_url=new.token_url.strip(),
        extra_params={},
    )


def choose_outbound(
    session: Session,
    context: ConnectorContext,
    *,
    entity: str | None = None,
    new: NewOutbound | None = None,
    graph_url: str | None = None,
    support_url: str | None = None,
) -> str:
    """Step 1: an OAuth provider that uses client credentials and gets a token. Returns its name."""
    with transaction(context.sessions) as read:
        _require_reached(repository.find(read), 1)
        if new is not None:
            credentials = _new_outbound_credentials(new)
        elif entity:
            found = registry.get_entity(read, entity)
            registry.require_outbound_usable(found)
            credentials = registry.outbound_credentials(read, context.secrets, found.id)
        else:
            raise UserError("Choose an OAuth provider from the registry, or create one.")
    checks.outbound_token(context, credentials, checks.GRAPH_RESOURCE)
    if new is not None:
        created = registry.create_entity(
            session,
            context.secrets,
            name=new.name,
            client_id=new.client_id,
            client_secret=new.client_secret,
            token_url=new.token_url,
            grant_type=CLIENT_CREDENTIALS,
        )
        entity_id = created.id
    else:
        entity_id = credentials.entity_id
    state = get_state(session)
    state.outbound_entity_id = entity_id
    state.graph_url = (graph_url or state.graph_url or context.settings.graph_url).rstrip("/")
    state.support_url = (support_url or state.support_url or context.settings.support_url).rstrip("/")
    _changed(state, 1)
    session.flush()
    return credentials.entity_name


def _oidc_entity(session: Session, wanted: str) -> OIDCEntity:
    found = session.get(OIDCEntity, wanted) or next(
        (e for e in oidc_service.entities(session) if wanted in (e.name, e.client_id)), None
    )
    if found is None:
        raise NotFound(f"No OIDC entity {wanted!r}; create it under System > OIDC providers first.")
    return found


def choose_inbound(
    session: Session,
    context: ConnectorContext,
    *,
    skip: bool = False,
    external_oidc: bool = False,
    oauth_client: str | None = None,
    oidc_entity: str | None = None,
) -> str:
    """Step 2: the OAuth client the cloud logs in with (Basic) or the OIDC entity that checks its JWTs."""
    with transaction(context.sessions) as read:
        mode = _require_reached(repository.find(read), 2)
        if skip or not has_inbound(mode):
            return _skip(session, mode, 2)
        if external_oidc != (mode is Mode.AAD):
            raise UserError(
                "Check 'External OIDC Auth Token' in AAD OAuth token mode (and only there): "
                f"this setup is in {mode.value} mode."
            )
        metadata_url = audience = None
        if mode is Mode.BASIC:
            client = oauth_service.get_client(read, (oauth_client or "").strip())
            if not client.active:
                raise UserError(f"OAuth client '{client.name}' is inactive; activate it or choose another.")
            chosen, label = client.id, f"OAuth client '{client.name}' ({client.client_id})"
        else:
            found = _oidc_entity(read, (oidc_entity or "").strip())
            audience = checks.audience(found.client_id)
            metadata_url = found.provider.metadata_url
            chosen, label = found.id, f"OIDC entity '{found.name}' (audience {audience})"
    if metadata_url:
        checks.oidc_metadata(context, metadata_url)
    state = get_state(session)
    state.external_oidc = mode is Mode.AAD
    state.inbound_oauth_client_id = chosen if mode is Mode.BASIC else None
    state.oidc_entity_id = chosen if mode is Mode.AAD else None
    _changed(state, 2)
    session.flush()
    return label


def _skip(session: Session, mode: Mode, step: int) -> str:
    if has_inbound(mode):
        raise UserError(f"Step {step} cannot be skipped in {mode.value} mode: the support service calls in.")
    state = get_state(session)
    if step == 2:
        state.inbound_oauth_client_id = state.oidc_entity_id = None
        state.external_oidc = False
    else:
        state.integration_user_id = None
    _changed(state, step)
    session.flush()
    return "skipped"


def choose_integration_user(
    session: Session, context: ConnectorContext, *, skip: bool = False, user: str = ""
) -> str:
    """Step 3: the user the cloud calls in as. AAD: typing the REST user app's id creates it if needed."""
    state = get_state(session)
    mode = _require_reached(state, 3)
    if skip or not has_inbound(mode):
        return _skip(session, mode, 3)
    wanted = user.strip()
    if not wanted:
        raise UserError("Enter the integration user's User ID.")
    found = users.by_user_name(session, wanted) or users.by_id(session, wanted)
    if found is None and mode is Mode.AAD:
        if not checks.GUID.match(wanted):
            raise UserError(f"{wanted!r} is not an application id: type the REST user app's client id.")
        found = user_service.create_user(
            session,
            wanted,
            name="Microsoft 365 support REST user",
            roles=[INCIDENT_MANAGER],
            web_service_access_only=True,
        )
    if found is None:
        raise NotFound(f"No user {wanted!r}; create a web-service-only user with incident_manager first.")
    checks.integration_user(found)
    state.integration_user_id = found.id
    _changed(state, 3)
    session.flush()
    return found.user_name


def set_repository(session: Session, repository_id: str) -> str:
    """Step 4: the Repository ID, the name under which the cloud side lists this connector."""
    state = get_state(session)
    _require_reached(state, 4)
    value = repository_id.strip()
    if not REPOSITORY_ID.match(value):
        raise UserError(
            f"Repository ID {value!r} is not valid: use up to 100 letters, digits, '.', '_', ':' or '-'."
        )
    state.repository_id = value
    _changed(state, 4)
    session.flush()
    return value


def save_app_settings(session: Session, values: AppSettings) -> None:
    """Step 5: application settings. The admin email is required where cases can be opened."""
    state = get_state(session)
    mode = _require_reached(state, 5)
    email, domain = values.admin_email.strip(), values.tenant_domain.strip().lower()
    if (email or has_inbound(mode)) and not EMAIL.match(email):
        raise UserError(
            f"Microsoft 365 admin email {email!r} is not an email address; enter the tenant admin "
            "Microsoft contacts when cases are created."
        )
    if domain and not DOMAIN.match(domain):
        raise UserError(f"Tenant domain {domain!r} is not a domain; e.g. contoso.onmicrosoft.com.")
    state.sso, state.admin_email, state.test_environment = values.sso, email, values.test_environment
    state.tenant_domain, state.feedback_prompts = domain, values.feedback_prompts
    _changed(state, 5)
    session.flush()


def finish(session: Session) -> None:
    """Next on the last page: confirmed once Test connection has passed since the last change."""
    state = get_state(session)
    _require_reached(state, LAST_STEP)
    if not state.test_passed:
        raise UserError(
            "Run Test connection and fix what it reports; Next completes the setup once it passes."
        )
    state.confirmed = True
    state.next_step = LAST_STEP + 1
    session.flush()


def change_mode(session: Session) -> None:
    """Back to the two questions; the stored choices stay as defaults for the steps."""
    state = get_state(session)
    state.mode, state.next_step = None, 0
    state.test_passed = state.confirmed = False
    session.flush()
