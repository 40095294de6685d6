"""Reading whole numbers from text that a caller controls (query strings, headers, CLI arguments).

``str.isdigit()`` accepts Unicode digits such as ``²`` that ``int()`` then refuses, and ``int()`` accepts
other scripts' digits and arbitrarily long strings; both turned odd input into a 500. Only ASCII digits
are read here, and only up to a stated bound.
"""

from __future__ import annotations

import re

_ASCII_DIGITS = re.compile(r"[0-9]+")


def ascii_digits(text: str) -> bool:
    """True when ``text`` is one or more ASCII digits and nothing else."""
    return _ASCII_DIGITS.fullmatch(text) is not None


def whole_number(text: str, *, maximum: int) -> int | None:
    """``text`` (ASCII digits) as an int in ``0..maximum``; None when it is anything else or too large."""
    if not ascii_digits(text) or len(text) > len(str(maximum)):
        return None
    value = int(text)
    return value if value <= maximum else None
