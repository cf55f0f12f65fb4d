"""Reading a row again under a lock held until the transaction ends.

Whoever moves a row's state (a worker, a status callback, a staff action, an SMS reply) does it
under this lock, so two of them never both read the old state and one write it back over the
other's newer one.
"""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import update
from sqlalchemy.orm import InstrumentedAttribute

from .extensions import db

Row = TypeVar("Row")


def lock_row(row: Row, unchanged: InstrumentedAttribute[Any]) -> Row:
    """``row`` locked for the rest of this transaction and read again as it is now.

    Pending changes are flushed first, so they survive the new read. On PostgreSQL a ``SELECT ...
    FOR UPDATE`` of the row; on SQLite (no row locks) a no-op write of ``unchanged`` to itself,
    which takes the database's write lock. ``unchanged`` is named by the caller so that no
    ``onupdate`` default of another column (``updated_at``) fires on that write.
    """
    db.session.flush()
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.refresh(row, with_for_update=True)
    else:
        model = type(row)
        db.session.execute(
            update(model)
            .where(model.id == row.id)  # type: ignore[attr-defined]
            .values({unchanged: unchanged})
            .execution_options(synchronize_session=False)
        )
        db.session.refresh(row)
    return row
