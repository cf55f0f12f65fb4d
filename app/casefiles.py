"""The status of a newcomer's file: every change goes through here and is kept as history."""

from __future__ import annotations

from .extensions import db
from .models import Newcomer, StatusChange
from .models.types import utcnow


def set_status(newcomer: Newcomer, to_status: str, *, actor_id: int | None = None, comment: str | None = None) -> None:
    """Move the file to ``to_status`` and record who did it (nobody: the newcomer or the system)."""
    if newcomer.status == to_status:
        return
    db.session.add(
        StatusChange(
            newcomer_id=newcomer.id,
            municipality_id=newcomer.municipality_id,
            from_status=newcomer.status,
            to_status=to_status,
            actor_staff_id=actor_id,
            comment=comment,
        )
    )
    newcomer.status = to_status
    newcomer.updated_at = utcnow()
