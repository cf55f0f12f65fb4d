"""The verbs of the back office: register, invite, review, note, change status; the caseload query."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from flask import current_app
from flask_babel import gettext
from sqlalchemy import Select, func, select

from .. import audit
from ..auth.services import create_invitation, send_invitation
from ..casefiles import set_status
from ..extensions import db
from ..models import IntakeSession, Newcomer, Note, Staff, StatusChange
from ..models import casefile as status
from ..models.intake import APPROVED, RETURNED
from ..models.types import utcnow
from ..sms.base import SmsError
from ..sms.services import send_now
from .labels import BEFORE_PIP

PER_PAGE = 25
PAGE_SIZES = (10, 25, 50, 100)
SORTS = {
    "deadline": Newcomer.pip_deadline_on,
    "name": Newcomer.name,
    "status": Newcomer.status,
    "registered": Newcomer.created_at,
}


class AlreadyRegistered(ValueError):
    """The phone number belongs to a newcomer already."""


@dataclass(frozen=True)
class CaseloadFilter:
    """What the caseload shows: filters, search, sort and page (all from the query string)."""

    status: str = ""
    municipality_id: int | None = None
    doelgroep: str = ""
    leerroute: str = ""
    language: str = ""
    q: str = ""
    sort: str = "deadline"
    descending: bool = False
    page: int = 1
    per_page: int = PER_PAGE


def caseload_query(f: CaseloadFilter) -> Select:
    """The caseload's SELECT; the tenancy filter adds the staff member's municipalities."""
    query = select(Newcomer)
    if f.status:
        query = query.where(Newcomer.status == f.status)
    if f.municipality_id:
        query = query.where(Newcomer.municipality_id == f.municipality_id)
    if f.doelgroep:
        query = query.where(Newcomer.doelgroep == f.doelgroep)
    if f.leerroute:
        query = query.where(Newcomer.leerroute == f.leerroute)
    if f.language:
        query = query.where(Newcomer.language == f.language)
    if f.q:
        query = query.where(func.lower(Newcomer.name).contains(f.q.lower(), autoescape=True))
    column = SORTS.get(f.sort, Newcomer.pip_deadline_on)
    order = column.desc() if f.descending else column.asc()
    return query.order_by(order.nulls_last(), Newcomer.id)


def caseload(f: CaseloadFilter):  # noqa: ANN201 - a Flask-SQLAlchemy Pagination
    """One page of the caseload: two queries (count and rows), whatever the page size."""
    return db.paginate(caseload_query(f), page=f.page, per_page=f.per_page, error_out=False)


def deadline_flag(newcomer: Newcomer, today: date) -> str:
    """``overdue``, ``soon`` (within 2 weeks) or ``""`` for the 10-week PIP deadline."""
    if newcomer.pip_deadline_on is None or newcomer.status not in BEFORE_PIP:
        return ""
    if newcomer.pip_deadline_on < today:
        return "overdue"
    if newcomer.pip_deadline_on <= today + timedelta(weeks=2):
        return "soon"
    return ""


def get_file(newcomer_id: int) -> Newcomer | None:
    """A newcomer of the staff member's municipalities, or None (also when it is another's)."""
    return db.session.scalar(select(Newcomer).where(Newcomer.id == newcomer_id))


def new_file(
    *,
    name: str,
    phone: str,
    language: str,
    doelgroep: str,
    municipality_id: int,
    duo_notified_on: date | None,
    settled_on: date | None,
    bsn: str | None,
    external_id: str | None = None,
) -> Newcomer:
    """A newcomer's file as registering or importing makes it, deadline computed (not yet added)."""
    newcomer = Newcomer(
        name=" ".join(name.split()),
        phone=phone,
        language=language,
        doelgroep=doelgroep,
        municipality_id=municipality_id,
        duo_notified_on=duo_notified_on,
        settled_on=settled_on,
        bsn=bsn,
        external_id=external_id,
    )
    newcomer.update_deadline()
    return newcomer


def record_registration(newcomer: Newcomer, staff: Staff, actor: tuple[str, int | None] | None = None) -> None:
    """The first line of the file's history, and the audit entry, for a flushed new file."""
    db.session.add(
        StatusChange(
            newcomer_id=newcomer.id,
            municipality_id=newcomer.municipality_id,
            to_status=status.REGISTERED,
            actor_staff_id=staff.id,
        )
    )
    audit.record("file.created", "newcomer", newcomer.id, municipality_id=newcomer.municipality_id, actor=actor)


def register(staff: Staff, **fields: object) -> tuple[Newcomer, SmsError | None]:
    """Register a newcomer by hand and send the invitation SMS in their language."""
    if fields["municipality_id"] not in staff.municipality_ids:
        raise PermissionError("municipality not granted")
    phone_taken = select(Newcomer.id).where(Newcomer.phone == fields["phone"])
    if db.session.scalar(phone_taken.execution_options(all_municipalities=True)):
        raise AlreadyRegistered(fields["phone"])
    newcomer = new_file(**fields)  # type: ignore[arg-type]
    db.session.add(newcomer)
    db.session.flush()
    record_registration(newcomer, staff)
    return newcomer, invite(newcomer, staff)


def invite(newcomer: Newcomer, staff: Staff) -> SmsError | None:
    """A new invitation link by SMS (earlier links stop working); commits."""
    _message, error = send_invitation(newcomer, create_invitation(newcomer))
    if error is None and newcomer.status == status.REGISTERED:
        set_status(newcomer, status.INVITED, actor_id=staff.id)
    audit.record(
        "file.invited",
        "newcomer",
        newcomer.id,
        municipality_id=newcomer.municipality_id,
        result=audit.OK if error is None else audit.FAILED,
    )
    db.session.commit()
    return error


def intake_of(newcomer: Newcomer) -> IntakeSession | None:
    """The newcomer's intake, if started."""
    return db.session.scalar(select(IntakeSession).where(IntakeSession.newcomer_id == newcomer.id))


def approve(newcomer: Newcomer, staff: Staff) -> bool:
    """Approve a submitted intake."""
    intake = intake_of(newcomer)
    if intake is None or newcomer.status != status.INTAKE_SUBMITTED:
        return False
    intake.status, intake.reviewed_at = APPROVED, utcnow()
    set_status(newcomer, status.INTAKE_APPROVED, actor_id=staff.id)
    audit.record("intake.approved", "newcomer", newcomer.id, municipality_id=newcomer.municipality_id)
    db.session.commit()
    return True


def intake_returned_text(link: str) -> str:
    """The SMS telling a newcomer their intake came back with a question (no personal data in it)."""
    return gettext("Your klantmanager has a question about your intake. Sign in to answer: %(link)s", link=link)


def return_with_question(newcomer: Newcomer, staff: Staff, question: str) -> SmsError | None:
    """Return a submitted intake with a question; the newcomer gets an SMS in their language."""
    intake = intake_of(newcomer)
    if intake is None or newcomer.status != status.INTAKE_SUBMITTED:
        raise ValueError("not submitted")
    intake.status, intake.question, intake.reviewed_at = RETURNED, question.strip(), utcnow()
    set_status(newcomer, status.RETURNED, actor_id=staff.id)
    audit.record("intake.returned", "newcomer", newcomer.id, municipality_id=newcomer.municipality_id)
    link = current_app.config["PUBLIC_BASE_URL"].rstrip("/") + "/login"
    _message, error = send_now(newcomer, "intake_returned", lambda _secret: intake_returned_text(link), "")
    db.session.commit()
    return error


def add_note(newcomer: Newcomer, staff: Staff, body: str) -> None:
    """Add a note to the file."""
    db.session.add(
        Note(
            newcomer_id=newcomer.id,
            municipality_id=newcomer.municipality_id,
            author_staff_id=staff.id,
            body=body.strip(),
        )
    )
    audit.record("file.note_added", "newcomer", newcomer.id, municipality_id=newcomer.municipality_id)
    db.session.commit()


def change_status(newcomer: Newcomer, staff: Staff, to_status: str, comment: str | None) -> None:
    """Set a status by hand (in route, met the obligation, exempted, ...), kept in the history."""
    set_status(newcomer, to_status, actor_id=staff.id, comment=comment or None)
    audit.record("file.status_changed", "newcomer", newcomer.id, municipality_id=newcomer.municipality_id)
    db.session.commit()
