"""All SQL of the setup: the one stored row."""

from __future__ import annotations

from sqlalchemy.orm import Session

from m365bridge.connector.setup.models import SINGLETON_ID, SetupState


def find(session: Session) -> SetupState | None:
    return session.get(SetupState, SINGLETON_ID)


def get_or_create(session: Session) -> SetupState:
    state = find(session)
    if state is None:
        state = SetupState(id=SINGLETON_ID)
        session.add(state)
        session.flush()
    return state
