"""Password sign-in to the cloud (portal page and the tenant-admin Basic API), throttled and even-timed.

Throttle: after ``lockout_account_failures`` failures for one account from one address, or
``lockout_address_failures`` failures from one address for any accounts, within ``lockout_window_seconds``,
that address gets 429 until the window has passed. Counting an account per address (not per account alone)
means a stranger elsewhere cannot lock a real admin out by failing on purpose; the per-address count stops
one address from spraying many accounts.

Even timing: ``service.authenticate`` verifies an unknown or deactivated e-mail against a dummy hash.

The argon2 check runs in a read unit; failures are written in a short write unit of their own.
"""

from __future__ import annotations

import datetime as dt

from m365bridge.cloud.context import CloudContext
from m365bridge.cloud.directory import repository, service
from m365bridge.cloud.directory.models import DirectoryUser
from m365bridge.shared.db import transaction
from m365bridge.shared.errors import UserError
from m365bridge.shared.orm import utcnow

# Addresses and e-mails are stored truncated to their columns: an attacker chooses both.
MAX_ACCOUNT, MAX_ADDRESS = 320, 64


class TooManyFailures(UserError):
    status_code = 429

    def __init__(self, retry_after: int) -> None:
        super().__init__("Too many failed sign-ins from this address; try again in a few minutes.")
        self.retry_after = retry_after


def sign_in(context: CloudContext, email: str, password: str, address: str) -> DirectoryUser | None:
    """The active person with ``email`` and ``password``, or ``None``; ``TooManyFailures`` when throttled."""
    settings = context.settings
    account, address = email.strip().lower()[:MAX_ACCOUNT], address[:MAX_ADDRESS]
    now = utcnow()
    since = now - dt.timedelta(seconds=settings.lockout_window_seconds)
    with transaction(context.sessions) as session:
        by_pair = repository.count_login_failures(session, since, address=address, account=account)
        by_address = repository.count_login_failures(session, since, address=address)
        if by_pair >= settings.lockout_account_failures or by_address >= settings.lockout_address_failures:
            raise TooManyFailures(settings.lockout_window_seconds)
        # A read unit: the argon2 check (~0.1 s) holds no write lock.
        user = service.authenticate(session, account, password)
    if user is not None:
        if by_pair:
            with transaction(context.sessions, write=True) as session:
                repository.delete_login_failures(session, account, address)
        return user
    with transaction(context.sessions, write=True) as session:
        repository.purge_login_failures(session, since)
        repository.add_login_failure(session, account, address, now)
    return None
