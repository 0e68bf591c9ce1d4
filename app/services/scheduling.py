"""Data the scheduler's jobs need before their first run: festival settings and the tip library."""

from __future__ import annotations

from sqlalchemy.orm import Session

from app.services import festivals, tips


def install_defaults(session: Session) -> tuple[int, int]:
    """Add missing festival settings and library tips (idempotent); returns how many of each were added."""
    return festivals.ensure_festival_settings(session), tips.seed_tips(session)
