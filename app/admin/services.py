"""The beheerder's verbs: staff accounts, municipalities, and reading and exporting the audit log.

Every verb writes its audit entry (with its result) and commits; the routes stay thin.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, select

from .. import audit
from ..extensions import db
from ..models import AuditEvent, Municipality, Staff
from ..staff import services as staff_services

STAFF_PER_PAGE = 50
AUDIT_PER_PAGE = 50
CSV_COLUMNS = (
    "id", "at", "actor_type", "actor_id", "action", "record_type", "record_id", "municipality_id",
    "municipality_code", "result", "ip",
)  # fmt: skip


class AdminError(ValueError):
    """A request the beheerder cannot have done; the route shows why, next to the field."""


class EmailTaken(AdminError):  # noqa: N818 - named for what happened, like the others
    """An account with this e-mail address exists already."""


class CodeTaken(AdminError):  # noqa: N818
    """A municipality with this code exists already."""


class SelfAction(AdminError):  # noqa: N818
    """A beheerder tried to disable or reset their own account."""


# -- staff ---------------------------------------------------------------------------------------


def staff_page(page: int):  # noqa: ANN201 - a Flask-SQLAlchemy Pagination
    """One page of all staff, by name; municipalities come with one extra query (selectin)."""
    return db.paginate(
        select(Staff).order_by(Staff.name, Staff.id), page=page, per_page=STAFF_PER_PAGE, error_out=False
    )


def get_staff(staff_id: int) -> Staff | None:
    """A staff member, or None."""
    return db.session.get(Staff, staff_id)


def email_taken(email: str) -> bool:
    """Whether an account with this e-mail address exists (addresses are kept lower-cased)."""
    return db.session.scalar(select(Staff.id).where(Staff.email == email.strip().lower())) is not None


def create(name: str, email: str, role: str, municipality_ids: list[int]) -> tuple[Staff, str]:
    """A new account with a one-time password; the second factor is enrolled at first sign-in."""
    if email_taken(email):
        audit.record("staff.created", "staff", result=audit.FAILED)
        db.session.commit()
        raise EmailTaken(email)
    codes = [m.code for m in _municipalities(municipality_ids)]
    staff, password = staff_services.create_staff(email, role, codes, name)
    # No secret is handed over: the person scans the QR code of /staff/enrol at first sign-in.
    staff.totp_secret = None
    audit.record("staff.created", "staff", staff.id)
    db.session.commit()
    return staff, password


def reset_password(actor: Staff, staff: Staff) -> str:
    """A new one-time password; the account enrols its second factor again and every session ends.

    Not for one's own account: the reset would end this very session before the password is shown.
    """
    if staff.id == actor.id:
        audit.record("staff.password_reset", "staff", staff.id, result=audit.DENIED)
        db.session.commit()
        raise SelfAction(staff.id)
    password = staff_services.reset_password(staff)
    audit.record("staff.password_reset", "staff", staff.id)
    db.session.commit()
    return password


def set_disabled(actor: Staff, staff: Staff, disabled: bool) -> None:
    """Disable an account (ending its sessions) or enable it again; never one's own."""
    action = "staff.disabled" if disabled else "staff.enabled"
    if disabled and staff.id == actor.id:
        audit.record(action, "staff", staff.id, result=audit.DENIED)
        db.session.commit()
        raise SelfAction(staff.id)
    staff_services.set_disabled(staff, disabled)
    audit.record(action, "staff", staff.id)
    db.session.commit()


def grant(staff: Staff, municipality_ids: list[int]) -> None:
    """Set the municipalities a staff member serves; it counts from their next request."""
    staff.municipalities = _municipalities(municipality_ids)
    audit.record("staff.municipalities_changed", "staff", staff.id)
    db.session.commit()


def is_locked(staff: Staff, now: datetime) -> bool:
    """Whether the account is locked for a while after failed sign-ins."""
    return staff.locked_until is not None and staff.locked_until > now


# -- municipalities ------------------------------------------------------------------------------


def municipalities() -> list[Municipality]:
    """Every municipality, by name."""
    return list(db.session.scalars(select(Municipality).order_by(Municipality.name, Municipality.code)))


def _municipalities(ids: list[int]) -> list[Municipality]:
    if not ids:
        return []
    return list(db.session.scalars(select(Municipality).where(Municipality.id.in_(ids)).order_by(Municipality.name)))


def add_municipality(code: str, name: str) -> Municipality:
    """Add a municipality by its CBS code."""
    if db.session.scalar(select(Municipality.id).where(Municipality.code == code)) is not None:
        audit.record("municipality.added", "municipality", result=audit.FAILED)
        db.session.commit()
        raise CodeTaken(code)
    municipality = Municipality(code=code, name=name)
    db.session.add(municipality)
    db.session.flush()
    audit.record("municipality.added", "municipality", municipality.id, municipality_id=municipality.id)
    db.session.commit()
    return municipality


# -- the audit log -------------------------------------------------------------------------------


@dataclass(frozen=True)
class AuditFilter:
    """What the audit log shows; ``since`` is inclusive and ``until`` exclusive (UTC)."""

    actor_type: str = ""
    actor_id: int | None = None
    action: str = ""
    record_type: str = ""
    record_id: int | None = None
    result: str = ""
    municipality_id: int | None = None
    since: datetime | None = None
    until: datetime | None = None


def audit_query(f: AuditFilter) -> Select:
    """The audit log's SELECT, newest first; ``action`` matches its start (``file.`` finds every file action)."""
    query = select(AuditEvent)
    if f.actor_type:
        query = query.where(AuditEvent.actor_type == f.actor_type)
    if f.actor_id is not None:
        query = query.where(AuditEvent.actor_id == f.actor_id)
    if f.action:
        query = query.where(AuditEvent.action.startswith(f.action, autoescape=True))
    if f.record_type:
        query = query.where(AuditEvent.record_type == f.record_type)
    if f.record_id is not None:
        query = query.where(AuditEvent.record_id == f.record_id)
    if f.result:
        query = query.where(AuditEvent.result == f.result)
    if f.municipality_id is not None:
        query = query.where(AuditEvent.municipality_id == f.municipality_id)
    if f.since is not None:
        query = query.where(AuditEvent.at >= f.since)
    if f.until is not None:
        query = query.where(AuditEvent.at < f.until)
    return query.order_by(AuditEvent.at.desc(), AuditEvent.id.desc())


def audit_page(f: AuditFilter, page: int):  # noqa: ANN201 - a Flask-SQLAlchemy Pagination
    """One page of the filtered audit log."""
    return db.paginate(audit_query(f), page=page, per_page=AUDIT_PER_PAGE, error_out=False)


def staff_names(ids: set[int]) -> dict[int, str]:
    """Names of the staff members with these ids (one query), to show who acted."""
    if not ids:
        return {}
    return dict(db.session.execute(select(Staff.id, Staff.name).where(Staff.id.in_(ids))).all())


def record_export() -> None:
    """Audit an export of the log (before it is sent, so the export cannot go unrecorded)."""
    audit.record("audit.exported")
    db.session.commit()


def _cell(value: object) -> object:
    # A spreadsheet runs a cell that starts with one of these as a formula: never let data do that.
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def audit_csv(f: AuditFilter, batch: int = 1000) -> Iterator[str]:
    """The filtered log as CSV text, a batch of rows at a time (the log can be long)."""
    codes = dict(db.session.execute(select(Municipality.id, Municipality.code)).all())
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    rows = db.session.scalars(audit_query(f).execution_options(yield_per=batch))
    for count, event in enumerate(rows, start=1):
        writer.writerow(
            _cell(value)
            for value in (
                event.id,
                event.at.isoformat(),
                event.actor_type,
                event.actor_id,
                event.action,
                event.record_type,
                event.record_id,
                event.municipality_id,
                codes.get(event.municipality_id, "") if event.municipality_id is not None else "",
                event.result,
                event.ip,
            )
        )
        if count % batch == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()
