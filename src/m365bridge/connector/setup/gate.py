"""The setup gate other features ask before they work: insights, solutions and cases.

Until the flow is finished the answer is the original's message #2; once finished but not confirmed
(cloud side configured, Test connection passed, Next on the last page) it is message #3. Both are written
to the system log under the app's source when raised, in a transaction of their own so that the caller's
rollback (the error ends its request) does not take the log line with it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from sqlalchemy.orm import Session

from m365bridge.connector.logs import system_log
from m365bridge.connector.setup import repository
from m365bridge.connector.setup.modes import FEATURES, LAST_STEP, Mode
from m365bridge.shared.errors import UserError

Feature = Literal["insights", "solutions", "cases"]
SETUP_INCOMPLETE = (
    "Please contact your ServiceNow admin and ask them to complete the setup steps for the app."
)
SETUP_NOT_CONFIRMED = (
    "Please contact your ServiceNow admin and ask them to complete the final set up step for the app."
)


class SetupIncomplete(UserError):
    """Message #2: the setup steps are not done (or the chosen mode does not offer the feature)."""

    status_code = 409

    def __init__(self) -> None:
        super().__init__(SETUP_INCOMPLETE)


class SetupNotConfirmed(UserError):
    """Message #3: every step is saved, but the final step is not confirmed."""

    status_code = 409

    def __init__(self) -> None:
        super().__init__(SETUP_NOT_CONFIRMED)


@dataclass(frozen=True)
class SetupView:
    """The stored setup as other features read it."""

    mode: Mode | None
    outbound_entity_id: str | None
    admin_email: str
    test_environment: bool
    tenant_domain: str
    feedback_prompts: bool
    sso: bool
    repository_id: str | None
    integration_user_id: str | None
    graph_url: str
    support_url: str
    finished: bool
    confirmed: bool

    @property
    def uses_token(self) -> bool:
        """False in "Continue without any setup": solutions come from the public search, no token."""
        return self.mode not in (None, Mode.NONE)


def current_setup(session: Session) -> SetupView | None:
    state = repository.find(session)
    if state is None:
        return None
    return SetupView(
        mode=Mode(state.mode) if state.mode else None,
        outbound_entity_id=state.outbound_entity_id,
        admin_email=state.admin_email,
        test_environment=state.test_environment,
        tenant_domain=state.tenant_domain,
        feedback_prompts=state.feedback_prompts,
        sso=state.sso,
        repository_id=state.repository_id,
        integration_user_id=state.integration_user_id,
        graph_url=state.graph_url,
        support_url=state.support_url,
        finished=state.mode is not None and state.next_step >= LAST_STEP,
        confirmed=state.confirmed,
    )


def require_setup(session: Session, *, feature: Feature, view: SetupView | None = None) -> SetupView:
    """The setup, when ``feature`` may run; else ``SetupIncomplete`` or ``SetupNotConfirmed`` (logged).

    ``view``: the setup this request already read (saves reading it again). Call it before the request
    writes anything: the log line is written on a connection of its own.
    """
    view = view or current_setup(session)
    if view is None or view.mode is None or not view.finished:
        _log(session, SETUP_INCOMPLETE, feature, "the setup steps are not finished")
        raise SetupIncomplete()
    if feature not in FEATURES[view.mode]:
        _log(session, SETUP_INCOMPLETE, feature, f"mode {view.mode.value} does not offer {feature}")
        raise SetupIncomplete()
    if not view.confirmed:
        _log(session, SETUP_NOT_CONFIRMED, feature, "the final setup step is not confirmed")
        raise SetupNotConfirmed()
    return view


def _log(session: Session, message: str, feature: str, why: str) -> None:
    # The request fails with this message and has written nothing: end its transaction first, since a
    # writer session (any POST) holds the write lock this line's own unit would wait for.
    session.rollback()
    with Session(session.get_bind()) as log_session:
        system_log.write(log_session, "error", message, context={"feature": feature, "reason": why})
        log_session.commit()
