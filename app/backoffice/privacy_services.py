"""Privacy (AVG) for one newcomer: export everything held, erase (anonymise) the file, purge expired files.

**Erasure keeps only what statistics need, identifying nobody.** After :func:`erase`:

Replaced or emptied (on the newcomer's row): the name (``[erased]``), the phone number
(``erased-<id>``: the column is unique and required), the BSN and the external id (DUO's
notification id; emptied). The language is reset to ``nl``: no report needs it, and together with
the municipality and the dates it narrows down who it was.

Deleted: the intake and any other filling-in (all answers, the channel each came from, the
klantmanager's question, the SMS conversation's state and every SMS reply in it), every note, every recorded SMS
with its status history (including the dev inbox's copy; a queued one is thereby never sent), the
file's conversation, the SMS opt-outs and the unreachable-number mark, and every invitation, login
challenge and session of the newcomer, so they can no longer sign in (and are signed out at once).
Their calendar subscriptions are deleted (the feed's link stops working), and so are their places
on appointments that have not begun (a group session goes on for the others). Their survey
invitations are deleted (the single-use link, the trigger occasion, the filling-in it names).


Kept, because the progress reports count them and none of it names a person: the municipality,
the doelgroep and the current status; the status history (from, to, when, which staff member; its
free-text comments are emptied); the dates of the process (DUO's notification, settling, the PIP
deadline, registration); every PIP version's coded contents (route, level, literacy, learnability
result, parts, PIP date, financieel ontzorgen; the free-text comment and the test score are
emptied); term extensions (reason code, days, date: they decide the end of the term); attendance
of appointments that began (type, date, attendance code; the reason given for an absence is
emptied); the route progress (dates, themes, hours; the reason for a MAP exemption is emptied); the end of
the file (date, reason), the date the obligation was met and the nareiziger flag; financieel
ontzorgen, participation activities, route partners and housed household members (dated codes
without names; a household member's import id is emptied); survey responses (the mark and the
closed answers with their dimensions; the link to the invitation and the comment are emptied);
complaints in the register (the link to the file and the free-text outcome are emptied). The audit
log stays as it is: it is append-only and holds ids, never personal data.

Files are erased on request (by a klantmanager, after a confirm step) or by ``flask purge-expired``
once ``RETENTION_YEARS`` have passed since the last change into a final status. Both are audited.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy import delete, func, select, update

from .. import audit
from ..extensions import db
from ..intake.services import INTAKE
from ..models import (
    Appointment,
    Attendee,
    AuditEvent,
    AuthSession,
    CalendarFeed,
    ConversationMessage,
    DevSms,
    Filling,
    FillingReply,
    HoursEntry,
    Invitation,
    LoginChallenge,
    Newcomer,
    Note,
    OutboundEvent,
    OutboundMessage,
    Pip,
    RouteProgress,
    SmsOptOut,
    StatusChange,
    TermExtension,
)
from ..models import casefile as status
from ..models.partner import RoutePartner
from ..models.records import Complaint, HouseholdMember, ParticipationActivity, ReliefTrajectory
from ..models.survey import SurveyInvitation, SurveyResponse
from ..models.types import utcnow

FINAL_STATUSES = (status.OBLIGATION_MET, status.EXEMPTED, status.DISPENSATION, status.MOVED_AWAY, status.ENDED)
ERASED_NAME = "[erased]"
ERASED_PHONE = "erased-"
ERASED_LANGUAGE = "nl"

# The columns an export holds, per table.
NEWCOMER_COLUMNS = (
    "id", "name", "phone", "bsn", "language", "doelgroep", "status", "duo_notified_on", "settled_on",
    "pip_deadline_on", "leerroute", "external_id", "quiet_start", "quiet_end", "created_at", "updated_at",
    "ended_on", "end_reason", "obligation_met_on", "nareiziger",
)  # fmt: skip
INTAKE_COLUMNS = (
    "workflow_id", "workflow_version", "occasion", "status", "channel", "locale", "started_at", "updated_at",
    "submitted_at", "reviewed_at", "question", "completed_steps", "answers", "answer_channels", "sms_state",
    "sms_field", "sms_asked_at",
)  # fmt: skip
"""A filling-in (the intake, later a survey): the answers, where each came from, the SMS conversation's state."""
REPLY_COLUMNS = ("created_at", "body", "field_id", "outcome")
"""One SMS reply of a filling-in's conversation (the question SMS are in ``messages``)."""
PIP_COLUMNS = (
    "version", "pip_on", "learnability_result", "learnability_score", "leerroute", "level", "literacy", "knm",
    "pvt", "map", "z_participation", "social_guidance", "financial_relief_on", "financial_relief_extended",
    "comment", "created_at",
)  # fmt: skip
APPOINTMENT_COLUMNS = (
    "kind", "starts_at", "ends_at", "mode", "location", "address", "room", "bring", "status", "cancel_reason",
)  # fmt: skip
"""The appointment as the newcomer knew it (not the staff-only note)."""
ATTENDEE_COLUMNS = (
    "status", "interpreter_language", "interpreter_arranged", "response", "response_channel", "response_at",
    "attendance", "absence_reason",
)  # fmt: skip
PROGRESS_COLUMNS = (
    "route_started_on", "route_completed_on", "knm_themes", "pvt_signed_on", "pvt_verwijtbaar", "map_themes",
    "map_final_interview_on", "map_verwijtbaar", "map_exempt", "map_exemption_reason", "map_exempt_on",
    "z_completed_on",
)  # fmt: skip
RELIEF_COLUMNS = ("started_on", "six_months_on", "extended", "extension_decided_on", "ended_on", "updated_at")
ACTIVITY_COLUMNS = ("kind", "started_on", "ended_on", "hours_per_week", "created_at")
MEMBER_COLUMNS = ("kind", "birth_year", "housed_on", "nareiziger", "created_at")
COMPLAINT_COLUMNS = (
    "received_on", "official", "about_inburgering", "filed_with", "subject", "handled_on", "outcome", "created_at",
)  # fmt: skip
ROUTE_PARTNER_COLUMNS = ("kind", "started_on", "ended_on", "created_at")
SURVEY_INVITATION_COLUMNS = (
    "trigger", "survey_id", "partner_kind", "status", "skip_reason", "expires_at", "channel", "reminded_at",
    "responded_at", "created_at",
)  # fmt: skip
SURVEY_RESPONSE_COLUMNS = (
    "survey_id", "partner_kind", "trigger", "mark", "heard", "clear", "own_language", "comment", "comment_language",
    "channel", "language", "answered_at",
)  # fmt: skip
"""The person's own answers (their comment as stored, scrubbed already); the dashboard's copied dimensions stay out."""


def is_erased(newcomer: Newcomer) -> bool:
    """Whether the file has been erased (its phone number is the placeholder)."""
    return newcomer.phone.startswith(ERASED_PHONE)


# -- export --------------------------------------------------------------------------------------


def _plain(value: Any) -> Any:
    """A value as JSON holds it: dates and times in ISO 8601 (UTC for times)."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, date | time):
        return value.isoformat(timespec="minutes") if isinstance(value, time) else value.isoformat()
    return value


def _row(obj: object, columns: tuple[str, ...]) -> dict[str, Any]:
    return {name: _plain(getattr(obj, name)) for name in columns}


@dataclass(frozen=True)
class Held:
    """Everything held about one newcomer, as rows (the page shows them, :func:`as_json` writes them)."""

    newcomer: Newcomer
    intake: Filling | None
    history: list[StatusChange]
    notes: list[Note]
    pips: list[Pip]
    extensions: list[TermExtension]
    messages: list[OutboundMessage]
    conversation: list[ConversationMessage]
    opt_outs: list[SmsOptOut]
    events: list[AuditEvent]
    appointments: list[Attendee]
    progress: RouteProgress | None
    hours: list[HoursEntry]
    calendar_feeds: list[CalendarFeed]
    fillings: list[Filling] = field(default_factory=list)
    """Every filling-in of the newcomer, the intake among them."""
    replies: list[FillingReply] = field(default_factory=list)
    """The SMS replies of every filling-in, oldest first."""
    relief: ReliefTrajectory | None = None
    activities: list[ParticipationActivity] = field(default_factory=list)
    household: list[HouseholdMember] = field(default_factory=list)
    complaints: list[Complaint] = field(default_factory=list)
    route_partners: list[RoutePartner] = field(default_factory=list)
    survey_invitations: list[SurveyInvitation] = field(default_factory=list)
    survey_responses: list[SurveyResponse] = field(default_factory=list)

    def replies_of(self, filling: Filling) -> list[FillingReply]:
        """The SMS replies of one filling-in, oldest first."""
        return [reply for reply in self.replies if reply.filling_id == filling.id]

    @property
    def other_fillings(self) -> list[Filling]:
        """The filling-ins other than the intake (surveys)."""
        return [f for f in self.fillings if self.intake is None or f.id != self.intake.id]


def gather(newcomer: Newcomer) -> Held:
    """Read everything held about one newcomer (a constant number of queries)."""
    newcomer_id = newcomer.id
    fillings = list(
        db.session.scalars(
            select(Filling).where(Filling.newcomer_id == newcomer_id).order_by(Filling.started_at, Filling.id)
        )
    )
    return Held(
        newcomer=newcomer,
        intake=next((f for f in fillings if f.workflow_id == INTAKE), None),
        fillings=fillings,
        replies=list(
            db.session.scalars(
                select(FillingReply)
                .where(FillingReply.filling_id.in_([f.id for f in fillings]))
                .order_by(FillingReply.created_at, FillingReply.id)
            )
        )
        if fillings
        else [],
        history=list(
            db.session.scalars(
                select(StatusChange)
                .where(StatusChange.newcomer_id == newcomer_id)
                .order_by(StatusChange.at, StatusChange.id)
            )
        ),
        notes=list(
            db.session.scalars(select(Note).where(Note.newcomer_id == newcomer_id).order_by(Note.created_at, Note.id))
        ),
        pips=list(db.session.scalars(select(Pip).where(Pip.newcomer_id == newcomer_id).order_by(Pip.version))),
        extensions=list(
            db.session.scalars(
                select(TermExtension)
                .where(TermExtension.newcomer_id == newcomer_id)
                .order_by(TermExtension.decided_on, TermExtension.id)
            )
        ),
        messages=list(
            db.session.scalars(
                select(OutboundMessage).where(OutboundMessage.newcomer_id == newcomer_id).order_by(OutboundMessage.id)
            )
        ),
        conversation=list(
            db.session.scalars(
                select(ConversationMessage)
                .where(ConversationMessage.newcomer_id == newcomer_id)
                .order_by(ConversationMessage.created_at, ConversationMessage.id)
            )
        ),
        opt_outs=list(
            db.session.scalars(select(SmsOptOut).where(SmsOptOut.newcomer_id == newcomer_id).order_by(SmsOptOut.id))
        ),
        events=list(
            db.session.scalars(
                select(AuditEvent)
                .where(AuditEvent.record_type == "newcomer", AuditEvent.record_id == newcomer_id)
                .order_by(AuditEvent.at, AuditEvent.id)
            )
        ),
        appointments=list(
            db.session.scalars(
                select(Attendee)
                .join(Appointment)
                .where(Attendee.newcomer_id == newcomer_id)
                .order_by(Appointment.starts_at, Attendee.id)
            )
        ),
        progress=db.session.scalar(select(RouteProgress).where(RouteProgress.newcomer_id == newcomer_id)),
        hours=list(
            db.session.scalars(
                select(HoursEntry)
                .where(HoursEntry.newcomer_id == newcomer_id)
                .order_by(HoursEntry.month, HoursEntry.kind, HoursEntry.id)
            )
        ),
        calendar_feeds=list(
            db.session.scalars(
                select(CalendarFeed).where(CalendarFeed.newcomer_id == newcomer_id).order_by(CalendarFeed.id)
            )
        ),
        relief=db.session.scalar(select(ReliefTrajectory).where(ReliefTrajectory.newcomer_id == newcomer_id)),
        activities=_of(ParticipationActivity, newcomer_id, ParticipationActivity.started_on),
        household=_of(HouseholdMember, newcomer_id, HouseholdMember.housed_on),
        complaints=_of(Complaint, newcomer_id, Complaint.received_on),
        route_partners=_of(RoutePartner, newcomer_id, RoutePartner.started_on),
        survey_invitations=_of(SurveyInvitation, newcomer_id, SurveyInvitation.created_at),
        survey_responses=list(
            db.session.scalars(
                select(SurveyResponse)
                .join(SurveyInvitation, SurveyInvitation.id == SurveyResponse.invitation_id)
                .where(SurveyInvitation.newcomer_id == newcomer_id)
                .order_by(SurveyResponse.answered_at, SurveyResponse.id)
            )
        ),
    )


def _of(model: Any, newcomer_id: int, order: Any) -> list:
    """The rows of ``model`` of one newcomer, in ``order`` then by id."""
    return list(db.session.scalars(select(model).where(model.newcomer_id == newcomer_id).order_by(order, model.id)))


def as_json(held: Held) -> dict[str, Any]:
    """Everything held, as plain JSON-ready data.

    It holds the full BSN: it is the person's own data, handed over at their request (AVG art. 15
    and 20), and a masked number would make the copy incomplete. The printable page masks it,
    because a printout lies around. Audit entries name staff by id and leave out IP addresses:
    those are data about staff, not about the newcomer. Recorded SMS bodies have their codes and
    links masked already.
    """
    newcomer = held.newcomer
    person = _row(newcomer, NEWCOMER_COLUMNS)
    person["municipality"] = {"code": newcomer.municipality.code, "name": newcomer.municipality.name}

    def filling(row: Filling) -> dict[str, Any]:
        return {**_row(row, INTAKE_COLUMNS), "sms_replies": [_row(r, REPLY_COLUMNS) for r in held.replies_of(row)]}

    intake = filling(held.intake) if held.intake is not None else None
    return {
        "exported_at": _plain(utcnow()),
        "newcomer": person,
        "intake": intake,
        "other_fillings": [filling(f) for f in held.other_fillings],
        "status_history": [
            {**_row(c, ("at", "from_status", "to_status", "comment")), "by": c.actor.name if c.actor else None}
            for c in held.history
        ],
        "notes": [{**_row(n, ("created_at", "body")), "by": n.author.name if n.author else None} for n in held.notes],
        "pips": [{**_row(p, PIP_COLUMNS), "by": p.created_by.name if p.created_by else None} for p in held.pips],
        "term_extensions": [_row(e, ("decided_on", "reason", "days", "created_at")) for e in held.extensions],
        "messages": [
            _row(m, ("created_at", "sent_at", "delivered_at", "kind", "locale", "to_phone", "body", "status"))
            for m in held.messages
        ],
        "conversation": [
            _row(c, ("created_at", "direction", "channel", "language", "common_question", "body", "read_at"))
            for c in held.conversation
        ],
        "sms_opt_outs": [_row(o, ("category", "source", "created_at")) for o in held.opt_outs],
        "audit": [_row(e, ("at", "actor_type", "actor_id", "action", "result")) for e in held.events],
        "appointments": [
            {
                **_row(a.appointment, APPOINTMENT_COLUMNS),
                **_row(a, ATTENDEE_COLUMNS),
                "staff": a.appointment.staff.name if a.appointment.staff else None,
            }
            for a in held.appointments
        ],
        "route_progress": _row(held.progress, PROGRESS_COLUMNS) if held.progress is not None else None,
        "hours": [_row(h, ("month", "kind", "hours", "source", "updated_at")) for h in held.hours],
        "calendar_subscriptions": [
            _row(f, ("created_at", "revoked_at", "last_fetched_at")) for f in held.calendar_feeds
        ],
        "financieel_ontzorgen": _row(held.relief, RELIEF_COLUMNS) if held.relief is not None else None,
        "participation_activities": [
            {**_row(a, ACTIVITY_COLUMNS), "partner": a.partner.name if a.partner else None} for a in held.activities
        ],
        "household_members": [_row(m, MEMBER_COLUMNS) for m in held.household],
        "complaints": [
            {**_row(c, COMPLAINT_COLUMNS), "partner": c.partner.name if c.partner else None} for c in held.complaints
        ],
        "route_partners": [{**_row(r, ROUTE_PARTNER_COLUMNS), "partner": r.partner.name} for r in held.route_partners],
        "survey_invitations": [
            {**_row(i, SURVEY_INVITATION_COLUMNS), "partner": i.partner.name if i.partner else None}
            for i in held.survey_invitations
        ],
        "survey_responses": [_row(r, SURVEY_RESPONSE_COLUMNS) for r in held.survey_responses],
    }


def export(newcomer: Newcomer, printable: bool = False) -> Held:
    """Everything held about the newcomer, for a download or a printable page; audited.

    The audit entry is committed first, so the rows read afterwards stay loaded (a commit would
    expire them) and the export lists its own entry too.
    """
    audit.record(
        "file.printed" if printable else "file.exported",
        "newcomer",
        newcomer.id,
        municipality_id=newcomer.municipality_id,
    )
    db.session.commit()
    return gather(newcomer)


# -- erasure -------------------------------------------------------------------------------------


def _anonymise(newcomer: Newcomer) -> None:
    """Remove every personal detail of the file (see the module docstring for what stays and why)."""
    newcomer_id, phone = newcomer.id, newcomer.phone
    # The survey responses keep their figures, without the link to the person or their comment; the
    # invitations (the link, the trigger occasion) go. Before the fillings, which an invitation names.
    invitations = select(SurveyInvitation.id).where(SurveyInvitation.newcomer_id == newcomer_id)
    db.session.execute(
        update(SurveyResponse)
        .where(SurveyResponse.invitation_id.in_(invitations.scalar_subquery()))
        .values(invitation_id=None, comment=None, comment_language=None)
    )
    db.session.execute(delete(SurveyInvitation).where(SurveyInvitation.newcomer_id == newcomer_id))
    # The register keeps the complaint as a figure; the link to the person and the free text go.
    db.session.execute(
        update(Complaint).where(Complaint.newcomer_id == newcomer_id).values(newcomer_id=None, outcome=None)
    )
    # Relief, activities, household members and route partners are dated figures without personal
    # details: they stay for the reports (household members lose their import id).
    db.session.execute(
        update(HouseholdMember).where(HouseholdMember.newcomer_id == newcomer_id).values(external_id=None)
    )
    # Replies first: SQLite does not cascade the fillings' foreign key.
    fillings = select(Filling.id).where(Filling.newcomer_id == newcomer_id)
    db.session.execute(delete(FillingReply).where(FillingReply.filling_id.in_(fillings.scalar_subquery())))
    for model in (Filling, Note):
        db.session.execute(delete(model).where(model.newcomer_id == newcomer_id))
    messages = select(OutboundMessage.id).where(OutboundMessage.newcomer_id == newcomer_id)
    db.session.execute(delete(OutboundEvent).where(OutboundEvent.message_id.in_(messages.scalar_subquery())))
    for model in (ConversationMessage, SmsOptOut, OutboundMessage, Invitation, LoginChallenge, AuthSession):
        db.session.execute(delete(model).where(model.newcomer_id == newcomer_id))
    db.session.execute(delete(DevSms).where(DevSms.to_phone == phone))
    db.session.execute(delete(CalendarFeed).where(CalendarFeed.newcomer_id == newcomer_id))
    begun = select(Appointment.id).where(Appointment.starts_at <= utcnow())
    db.session.execute(
        delete(Attendee).where(Attendee.newcomer_id == newcomer_id, Attendee.appointment_id.not_in(begun))
    )
    db.session.execute(update(Attendee).where(Attendee.newcomer_id == newcomer_id).values(absence_reason=None))
    db.session.execute(
        update(RouteProgress).where(RouteProgress.newcomer_id == newcomer_id).values(map_exemption_reason=None)
    )
    db.session.execute(update(StatusChange).where(StatusChange.newcomer_id == newcomer_id).values(comment=None))
    db.session.execute(update(Pip).where(Pip.newcomer_id == newcomer_id).values(comment=None, learnability_score=None))
    newcomer.name = ERASED_NAME
    newcomer.phone = f"{ERASED_PHONE}{newcomer_id}"
    newcomer.bsn = None
    newcomer.external_id = None
    newcomer.sms_unreachable_code = newcomer.sms_unreachable_at = None
    newcomer.quiet_start = newcomer.quiet_end = None
    newcomer.language = ERASED_LANGUAGE
    newcomer.updated_at = utcnow()


def erase(newcomer: Newcomer) -> bool:
    """Erase (anonymise) the file, audited; ``False`` when it was erased before."""
    if is_erased(newcomer):
        return False
    _anonymise(newcomer)
    audit.record("file.erased", "newcomer", newcomer.id, municipality_id=newcomer.municipality_id)
    db.session.commit()
    return True


def _years_before(moment: datetime, years: int) -> datetime:
    try:
        return moment.replace(year=moment.year - years)
    except ValueError:  # 29 February in a year without it
        return moment.replace(year=moment.year - years, day=28)


def expired(years: int, now: datetime | None = None) -> list[int]:
    """Ids of unerased files in a final status whose last change into a final status is ``years`` old."""
    cutoff = _years_before(now or utcnow(), years)
    ended = (
        select(StatusChange.newcomer_id, func.max(StatusChange.at).label("ended_at"))
        .where(StatusChange.to_status.in_(FINAL_STATUSES))
        .group_by(StatusChange.newcomer_id)
        .subquery()
    )
    return list(
        db.session.scalars(
            select(Newcomer.id)
            .join(ended, ended.c.newcomer_id == Newcomer.id)
            .where(
                Newcomer.status.in_(FINAL_STATUSES),
                ended.c.ended_at < cutoff,
                ~Newcomer.phone.startswith(ERASED_PHONE),
            )
            .order_by(Newcomer.id)
        )
    )


def purge_expired(years: int, dry_run: bool = False) -> list[int]:
    """Erase every file whose retention period ended (each in its own transaction); their ids."""
    ids = expired(years)
    if dry_run:
        return ids
    for newcomer_id in ids:
        newcomer = db.session.get(Newcomer, newcomer_id)
        if newcomer is not None:
            erase(newcomer)
    return ids
