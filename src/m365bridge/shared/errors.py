"""The one error type the CLI and APIs turn into a clear message: something the user can fix."""

from __future__ import annotations


class UserError(Exception):
    """A problem the caller can fix. ``str(error)`` says what is wrong and what to do."""

    status_code = 400

    def __init__(self, message: str, *, status_code: int | None = None) -> None:
        super().__init__(message)
        if status_code is not None:
            self.status_code = status_code


class NotFound(UserError):
    status_code = 404


class Conflict(UserError):
    status_code = 409


def check_max_length(name: str, value: str, maximum: int) -> None:
    """Refuse a text longer than its field holds, naming the field and both lengths."""
    if len(value) > maximum:
        raise UserError(f"{name} is too long: at most {maximum} characters, got {len(value)}.")
