"""The verbs of the back office: register, invite, review, note, change status (the caseload is in ``caseload``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from .. import audit
from ..auth.services import issue_invitation, queue_invitation
from ..casefiles import set_status
from ..conversation import services as conversation
from ..extensions import db
from ..intake import services as intake_services
from ..models import Filling, Newcomer, Note, Staff, StatusChange
from ..models import casefile as status
from ..models.conversation import ConversationMessage
from ..models.filling import APPROVED, RETURNED
from ..models.message import NOTICES, OutboundMessage
from ..models.staff import KLANTMANAGER, staff_municipalities
from ..models.types import utcnow
from ..params import MAX_ID
from ..sms import texts
from ..sms.services import queue_for
from .caseload import PAGE_SIZES, PER_PAGE, SORTS, CaseloadFilter, caseload, caseload_query  # noqa: F401 - moved
from .labels import BEFORE_PIP


class AlreadyRegistered(ValueError):
    """The phone number belongs to a newcomer already."""


class NotAKlantmanagerThere(ValueError):
    """The chosen assignee is not an active klantmanager of the file's municipality."""


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
    klantmanager_id: int | None = None,
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
        klantmanager_id=klantmanager_id,
    )
    newcomer.update_deadline()
    return newcomer


def record_registration(newcomer: Newcomer, staff: Staff | None, actor: tuple[str, int | None] | None = None) -> None:
    """The first line of the file's history, and the audit entry, for a new flushed file (staff None: the system)."""
    db.session.add(
        StatusChange(
            newcomer_id=newcomer.id,
            municipality_id=newcomer.municipality_id,
            to_status=status.REGISTERED,
            actor_staff_id=staff.id if staff is not None else None,
        )
    )
    audit.record("file.created", "newcomer", newcomer.id, municipality_id=newcomer.municipality_id, actor=actor)
    if newcomer.klantmanager_id is not None:
        audit.record("file.assigned", "newcomer", newcomer.id, municipality_id=newcomer.municipality_id, actor=actor)


def register(staff: Staff, **fields: object) -> tuple[Newcomer, OutboundMessage]:
    """Register a newcomer by hand and queue the invitation SMS in their language."""
    if fields["municipality_id"] not in staff.municipality_ids:
        raise PermissionError("municipality not granted")
    if fields.get("klantmanager_id") is None:
        fields["klantmanager_id"] = staff.id
    if not is_klantmanager_of(fields["klantmanager_id"], fields["municipality_id"]):  # type: ignore[arg-type]
        raise NotAKlantmanagerThere(fields["klantmanager_id"])
    phone_taken = select(Newcomer.id).where(Newcomer.phone == fields["phone"])
    if db.session.scalar(phone_taken.execution_options(all_municipalities=True)):
        raise AlreadyRegistered(fields["phone"])
    newcomer = new_file(**fields)  # type: ignore[arg-type]
    db.session.add(newcomer)
    db.session.flush()
    record_registration(newcomer, staff)
    return newcomer, invite(newcomer, staff)


def invite(
    newcomer: Newcomer, staff: Staff | None, *, actor: tuple[str, int | None] | None = None, commit: bool = True
) -> OutboundMessage:
    """A new invitation link, its SMS queued in the same transaction (earlier links stop working).

    The file is ``invited`` from then on; whether the SMS arrived shows on the file's messages.
    """
    invitation, link = issue_invitation(newcomer)
    message = queue_invitation(newcomer, invitation, link)
    if newcomer.status == status.REGISTERED:
        set_status(newcomer, status.INVITED, actor_id=staff.id if staff is not None else None)
    audit.record("file.invited", "newcomer", newcomer.id, municipality_id=newcomer.municipality_id, actor=actor)
    if commit:
        db.session.commit()
    return message


def intake_of(newcomer: Newcomer) -> Filling | None:
    """The newcomer's intake, if started."""
    return db.session.scalar(
        select(Filling).where(Filling.newcomer_id == newcomer.id, Filling.workflow_id == intake_services.INTAKE)
    )


class CannotSendBySms(ValueError):
    """The intake's questions cannot go by SMS now; ``message`` says why, for the klantmanager."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def send_intake_by_sms(newcomer: Newcomer, staff: Staff) -> Filling:
    """Start (or pick up) the intake's SMS conversation: the next question is queued (``app.intake.sms``).

    Raises :class:`CannotSendBySms` when the SMS conversation refuses (the intake was sent in, the
    newcomer opted out of these SMS, ...).
    """
    from ..intake import sms as intake_sms

    try:
        return intake_sms.start(newcomer, actor=("staff", staff.id))
    except ValueError as refused:
        reason = NOT_BY_SMS_REASONS.get(getattr(refused, "reason", ""))
        raise CannotSendBySms(str(reason or _("The questions cannot be sent by SMS now."))) from refused


NOT_BY_SMS_REASONS = {
    "submitted": _l("The intake was sent in already: there are no questions left to send by SMS."),
    "no_phone": _l("The file has no phone number that can receive SMS."),
    "opted_out": _l("The newcomer sent STOP: they get no SMS about the intake until they send START."),
    "not_by_sms": _l("This intake cannot be answered by SMS."),
    "nothing_to_ask": _l("Every question that can be asked by SMS has an answer. The rest is for the web."),
}
"""Why ``app.intake.sms.start`` refused (``CannotStart.reason``), for the klantmanager."""


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


class NotSubmitted(ValueError):
    """Only a submitted intake can be approved or returned."""


def return_with_question(
    newcomer: Newcomer,
    staff: Staff,
    question: str = "",
    *,
    common_question: str | None = None,
    language: str | None = None,
) -> ConversationMessage:
    """Return a submitted intake with a question: a message in the file's conversation, and an SMS.

    The question is a common question (by key, read in each reader's language) or free text in
    ``language``; the newcomer reads it on their review page and can answer it there in text
    (``app.intake.routes.answer``), change answers and send the intake again. The SMS in their
    language says only that there is a question, never the question itself. Raises
    :class:`NotSubmitted`, or what ``app.conversation.services.outgoing`` raises.
    """
    intake = intake_of(newcomer)
    if intake is None or newcomer.status != status.INTAKE_SUBMITTED:
        raise NotSubmitted("not submitted")
    now = utcnow()
    # Written at the moment of the return: the review page finds it by that time (question_of).
    message = conversation.outgoing(
        newcomer, staff, body=question, language=language, common_question=common_question, at=now
    )
    # The question as the klantmanager sees it (the file's line about it, the newcomer's export).
    intake.status, intake.question, intake.reviewed_at = RETURNED, conversation.text_of(message), now
    set_status(newcomer, status.RETURNED, actor_id=staff.id)
    audit.record("intake.returned", "newcomer", newcomer.id, municipality_id=newcomer.municipality_id)
    link = current_app.config["PUBLIC_BASE_URL"].rstrip("/") + "/login"
    sms = queue_for(
        newcomer,
        "intake_returned",
        NOTICES,
        lambda _secret: texts.intake_returned(newcomer.municipality.name, link),
        cause=("conversation_message", message.id),
    )
    message.outbound_message_id = sms.id
    db.session.commit()
    return message


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


# -- assignment ----------------------------------------------------------------------------------


def team(municipality_ids: tuple[int, ...], *, with_disabled: bool = False) -> list[Staff]:
    """The active klantmanagers granted any of these municipalities, by name (one query).

    ``with_disabled`` adds those whose account is disabled: their files can still be listed and
    handed on (when someone leaves), but nothing new is given to them.
    """
    if not municipality_ids:
        return []
    granted = select(staff_municipalities.c.staff_id).where(
        staff_municipalities.c.municipality_id.in_(municipality_ids)
    )
    query = select(Staff).where(Staff.id.in_(granted), Staff.role == KLANTMANAGER)
    if not with_disabled:
        query = query.where(Staff.disabled_at.is_(None))
    return list(db.session.scalars(query.order_by(Staff.name, Staff.id)))


def granted_to_klantmanager(staff_id: int) -> set[int]:
    """The municipalities ``staff_id`` serves as an active klantmanager (empty for anyone else)."""
    return set(
        db.session.scalars(
            select(staff_municipalities.c.municipality_id)
            .join(Staff, Staff.id == staff_municipalities.c.staff_id)
            .where(Staff.id == staff_id, Staff.role == KLANTMANAGER, Staff.disabled_at.is_(None))
        )
    )


def is_klantmanager_of(staff_id: int, municipality_id: int) -> bool:
    """Whether ``staff_id`` is an active klantmanager granted ``municipality_id``."""
    return municipality_id in granted_to_klantmanager(staff_id)


def files_of(ids: list[int]) -> list[Newcomer] | None:
    """The files with these ids, in that order; ``None`` when any is not one of the staff member's."""
    if not ids:
        return []
    if any(not 0 < i <= MAX_ID for i in ids):
        return None
    found = {n.id: n for n in db.session.scalars(select(Newcomer).where(Newcomer.id.in_(ids)))}
    if len(found) != len(set(ids)):
        return None
    return [found[i] for i in ids]


def assign(newcomers: list[Newcomer], assignee_id: int) -> int:
    """Make ``assignee_id`` responsible for these files; all or none; audited per changed file; commits.

    The assignee must be an active klantmanager of every file's municipality
    (:class:`NotAKlantmanagerThere` otherwise, and nothing changes). Returns how many files changed.
    """
    if not {n.municipality_id for n in newcomers} <= granted_to_klantmanager(assignee_id):
        raise NotAKlantmanagerThere(assignee_id)
    changed = 0
    for newcomer in newcomers:
        if newcomer.klantmanager_id == assignee_id:
            continue
        newcomer.klantmanager_id = assignee_id
        newcomer.updated_at = utcnow()
        audit.record("file.assigned", "newcomer", newcomer.id, municipality_id=newcomer.municipality_id)
        changed += 1
    db.session.commit()
    return changed


INVITABLE = (status.REGISTERED, status.INVITED, status.INTAKE_IN_PROGRESS, status.RETURNED)
"""Statuses in which a new invitation link makes sense (the file page offers it in these too)."""


@dataclass(frozen=True)
class BulkInvitations:
    """What a bulk invitation did: queued (an SMS each, sent by the worker), skipped (not invitable)."""

    queued: int
    skipped: int


def invite_all(newcomers: list[Newcomer], staff: Staff) -> BulkInvitations:
    """A new invitation for each file that can still use one (erased files and later statuses are skipped)."""
    from .privacy_services import is_erased

    queued = skipped = 0
    for newcomer in newcomers:
        if newcomer.status not in INVITABLE or is_erased(newcomer):
            skipped += 1
        else:
            invite(newcomer, staff)
            queued += 1
    return BulkInvitations(queued, skipped)
