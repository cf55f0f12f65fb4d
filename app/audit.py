"""Writing the audit log. Entries name records by type and id only: never personal data."""

from __future__ import annotations

from flask import has_request_context, request
from flask_login import current_user

from .extensions import db
from .models import AuditEvent

OK = "ok"
DENIED = "denied"
FAILED = "failed"


def _actor() -> tuple[str, int | None]:
    if not has_request_context() or not current_user.is_authenticated:
        return ("anonymous", None) if has_request_context() else ("system", None)
    if current_user.staff_id:
        return "staff", current_user.staff_id
    return "newcomer", current_user.newcomer_id


def record(
    action: str,
    record_type: str | None = None,
    record_id: int | None = None,
    *,
    result: str = OK,
    municipality_id: int | None = None,
    actor: tuple[str, int | None] | None = None,
) -> None:
    """Add an audit entry to the current transaction (the caller commits)."""
    actor_type, actor_id = actor or _actor()
    db.session.add(
        AuditEvent(
            actor_type=actor_type,
            actor_id=actor_id,
            action=action,
            record_type=record_type,
            record_id=record_id,
            municipality_id=municipality_id,
            result=result,
            ip=request.remote_addr if has_request_context() else None,
        )
    )
