"""Microsoft 365 support > Setup: the wizard pages (admin only)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["setup pages"])
