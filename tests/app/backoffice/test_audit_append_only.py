"""The audit log is append-only in the database itself, on SQLite and on PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import DatabaseError

from app import audit
from app.extensions import db
from app.models import AuditEvent


def test_entries_can_be_added_but_not_changed_or_deleted(app):
    with app.app_context():
        audit.record("test.append_only", "newcomer", 1, actor=("system", None))
        db.session.commit()
        entry_id = db.session.scalar(select(func.max(AuditEvent.id)))
        for statement in (
            update(AuditEvent).where(AuditEvent.id == entry_id).values(result="denied"),
            delete(AuditEvent).where(AuditEvent.id == entry_id),
        ):
            with pytest.raises(DatabaseError, match="append-only"):
                db.session.execute(statement)  # the trigger refuses it at once
            db.session.rollback()
        assert db.session.get(AuditEvent, entry_id).result == "ok"
