"""The klantmanager's appointment pages in the back office: thin; the verbs are in ``services``.

Nested in the back office (``/backoffice/appointments/...``, endpoints ``backoffice.appointments.*``)
so its rules apply: staff only (a newcomer gets a 404), and every read limited to the staff
member's municipalities (another municipality's appointment is a 404). Every change asks first when
it reaches newcomers (moving, cancelling, taking someone off) or clashes with another appointment
(booking, moving, inviting: "book anyway").

A booking sent twice (a double click, a reload of the POST) books once: an appointment the same
staff member created in the last :data:`DUPLICATE_WINDOW` with the same kind, time and newcomers is
taken as the same booking (the staff member's row is locked while this is checked, so two parallel
requests cannot both miss it on PostgreSQL). Its SMS are unique by their outbox keys anyway.

The file page's section (``appointments/_file_appointments.html``) gets its data from the template
global :func:`file_appointments`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import ClassVar
from urllib.parse import quote

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import login_required
from sqlalchemy import select

from forms.appointments import (
    ERROR_FIELDS,
    MAX_INVITE,
    AppointmentForm,
    BookForm,
    CancelForm,
    CaseloadFilterForm,
    GroupSessionForm,
    InviteForm,
    MoveForm,
    QuietHoursForm,
    attendance_form,
    minutes,
)
from forms.auth import ConfirmForm
from workflows.appointments import ATTENDANCE_LABELS, BRING, CANCEL_REASONS, TYPES

from .. import audit
from ..backoffice import labels
from ..backoffice import services as backoffice_services
from ..backoffice.access import current_staff, requires
from ..backoffice.privacy_services import ERASED_PHONE
from ..extensions import db
from ..i18n import AMSTERDAM
from ..models import Newcomer, Staff
from ..models.appointment import CANCELLED, IN_PERSON, INVITED, PLANNED, REMOVED, VIDEO, WAITING, Appointment, Attendee
from ..models.conversation import FROM_NEWCOMER, ConversationMessage
from ..models.message import OutboundMessage
from ..models.staff import KLANTMANAGER
from ..models.types import utcnow
from ..params import bounded_int
from ..sms.reasons import plain_reason
from . import services, staff_bp

DUPLICATE_WINDOW = timedelta(seconds=30)
"""A second identical booking by the same staff member this soon is the first one sent twice."""
GROUP_KINDS = tuple(t.id for t in TYPES.values() if t.group)
SHOWN_GROUPS = 200
RECENT = 5
"""Past appointments shown on the file page."""
PROBLEMS = ("failed", "undelivered", "cancelled", "expired", "unknown")
NOTICE_KINDS = (services.BOOKED, services.MOVED)
DEAD = ("failed", "undelivered", "cancelled", "expired")


# -- lookups ----------------------------------------------------------------------------------------


def _appointment_or_404(appointment_id: int) -> Appointment:
    """The appointment, if it is of the staff member's municipalities (tenancy), else 404 and an audit entry."""
    appointment = db.session.scalar(select(Appointment).where(Appointment.id == appointment_id))
    if appointment is None:
        audit.record("appointment.viewed", "appointment", appointment_id, result=audit.DENIED)
        db.session.commit()
        abort(404)
    return appointment


def _attendee_or_404(appointment: Appointment, attendee_id: int) -> Attendee:
    attendee = next((a for a in appointment.attendees if a.id == attendee_id), None)
    if attendee is None:
        abort(404)
    return attendee


def _file_or_404(newcomer_id: int) -> Newcomer:
    newcomer = backoffice_services.get_file(newcomer_id)
    if newcomer is None:
        audit.record("file.viewed", "newcomer", newcomer_id, result=audit.DENIED)
        db.session.commit()
        abort(404)
    return newcomer


def _staff_choices(municipality_id: int, keep: int | None = None) -> list[tuple[int, str]]:
    """The klantmanagers of the municipality (and whoever leads the appointment now)."""
    members = [(s.id, s.name) for s in backoffice_services.team((municipality_id,))]
    if keep is not None and keep not in {m for m, _n in members}:
        current = db.session.get(Staff, keep)
        if current is not None:
            members.append((current.id, current.name))
    return members


def _languages() -> list[tuple[str, str]]:
    return [(language.code, language.name) for language in labels.staff_languages()]


def _statuses() -> list[tuple[str, str]]:
    return [(code, str(label)) for code, label in labels.STATUS.items()]


def map_link(address: str | None) -> str | None:
    """A plain link to the address on OpenStreetMap (no third-party script on our pages)."""
    if not address:
        return None
    return "https://www.openstreetmap.org/search?query=" + quote(address, safe="")


def _local(moment: datetime) -> datetime:
    return moment.astimezone(AMSTERDAM)


def _put_error(form: object, error: services.AppointmentError) -> None:
    """The service's refusal next to its field, or above the form."""
    name = ERROR_FIELDS.get(error.code)
    target = getattr(form, name, None) if name else None
    if target is not None:
        target.errors = [*target.errors, str(error)]
    else:
        flash(str(error), "error")


def _details(form: AppointmentForm) -> services.Details:
    """What the form says, for the service."""
    group = isinstance(form, GroupSessionForm)
    return services.Details(
        kind=form.kind.data,
        starts_at=form.starts_at,
        ends_at=form.ends_at,
        mode=form.mode.data,
        location=form.location.data if form.mode.data == IN_PERSON else None,
        address=form.address.data if form.mode.data == IN_PERSON else None,
        room=form.room.data if form.mode.data == IN_PERSON else None,
        video_link=form.video_link.data if form.mode.data == VIDEO else None,
        bring=list(form.bring.data or ()),
        staff_id=form.staff.data,
        capacity=form.capacity.data if group else None,
        group_language=(form.group_language.data or None) if group else None,
        note=form.note.data,
    )


def _booked_just_now(details: services.Details, staff: Staff, newcomer_ids: Sequence[int]) -> Appointment | None:
    """The same booking by the same staff member within :data:`DUPLICATE_WINDOW` (a double submit), if any."""
    db.session.scalar(select(Staff.id).where(Staff.id == staff.id).with_for_update())  # one booking at a time
    kind = TYPES[details.kind]
    candidates = db.session.scalars(
        select(Appointment).where(
            Appointment.created_by_staff_id == staff.id,
            Appointment.created_at >= utcnow() - DUPLICATE_WINDOW,
            Appointment.kind == details.kind,
            Appointment.starts_at == details.starts_at,
            Appointment.ends_at == (details.ends_at or details.starts_at + kind.duration),
            Appointment.status == PLANNED,
        )
    )
    wanted = set(newcomer_ids)
    for appointment in candidates:
        if {a.newcomer_id for a in appointment.attendees if a.status != REMOVED} == wanted:
            return appointment
    return None


# -- the file page's section --------------------------------------------------------------------------


@dataclass(frozen=True)
class FileAppointments:
    """What the appointments section of a file shows."""

    upcoming: list[Attendee] = field(default_factory=list)
    recent: list[Attendee] = field(default_factory=list)
    types: ClassVar[dict] = TYPES
    attendance_labels: ClassVar[dict] = ATTENDANCE_LABELS

    @staticmethod
    def clock(moment: datetime) -> str:
        return local_clock(moment)


@staff_bp.app_template_global("file_appointments")
def file_appointments(newcomer: Newcomer) -> FileAppointments:
    """The newcomer's upcoming appointments (cancelled ones too) and the latest past ones."""
    return FileAppointments(upcoming=services.upcoming_for(newcomer), recent=services.past_for(newcomer, limit=RECENT))


def local_clock(moment: datetime) -> str:
    """The time of day in Amsterdam, hours and minutes."""
    return _local(moment).strftime("%H:%M")


LABELS = {
    "local_clock": local_clock,
    "appointment_types": TYPES,
    "bring_labels": BRING,
    "attendance_labels": ATTENDANCE_LABELS,
    "cancel_reasons": CANCEL_REASONS,
}
"""The labels every page of this module shows (texts translated in the template)."""


def _page(template: str, **context: object) -> str:
    return render_template(template, **LABELS, **context)


# -- booking one ------------------------------------------------------------------------------------


def _render_form(template: str, form: AppointmentForm, code: int, **context: object) -> ResponseReturnValue:
    kind = TYPES.get(form.kind.data or "")
    return _page(template, form=form, kind=kind, clashes=context.pop("clashes", []), **context), code


@staff_bp.route("/new/<int:newcomer_id>", methods=["GET", "POST"])
@login_required
@requires(KLANTMANAGER)
def book(newcomer_id: int) -> ResponseReturnValue:
    """Book one appointment for the newcomer of this file; a clash asks for "book anyway"."""
    newcomer = _file_or_404(newcomer_id)
    staff = current_staff()
    form = BookForm()
    form.set_staff(_staff_choices(newcomer.municipality_id))
    form.set_languages(_languages())
    template, context = "appointments/staff_book.html", {"newcomer": newcomer}
    if not form.is_submitted():
        wanted = request.args.get("kind", "")
        form.kind.data = wanted if wanted in TYPES and not TYPES[wanted].group else form.kind.choices[0].value
        form.staff.data = staff.id if staff.id in form.staff_ids else None
        form.interpreter_language.data = newcomer.language if newcomer.language in form.language_codes else ""
        form.apply_type()
        return _render_form(template, form, 200, **context)
    if request.form.get("prefill"):  # "use this kind's defaults": nothing is saved, nothing typed is lost
        form.apply_type()
        return _render_form(template, form, 200, **context)
    if not form.validate_on_submit():
        return _render_form(template, form, 422, **context)
    details = _details(form)
    earlier = _booked_just_now(details, staff, [newcomer.id])
    if earlier is not None:
        flash(_("This appointment was booked already."), "info")
        return redirect(url_for("backoffice.appointments.detail", appointment_id=earlier.id))
    clashes = services.clashes(form.starts_at, form.ends_at, staff_id=form.staff.data, newcomer_ids=[newcomer.id])
    if clashes and not form.anyway.data:
        return _render_form(template, form, 200, clashes=clashes, **context)
    interpreter = {newcomer.id: form.interpreter_language.data} if form.interpreter.data else None
    try:
        appointment, result = services.book(
            newcomer.municipality_id, details, [newcomer], actor=staff, interpreter=interpreter
        )
    except services.AppointmentError as error:
        db.session.rollback()
        _put_error(form, error)
        return _render_form(template, form, 422, **context)
    db.session.commit()
    flash(_("The appointment is booked. The newcomer gets an SMS."), "info")
    if result.no_notice:
        flash(_("No SMS can reach the newcomer before the appointment (quiet hours): call them."), "warning")
    return redirect(url_for("backoffice.appointments.detail", appointment_id=appointment.id))


# -- group sessions ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class SessionRow:
    appointment: Appointment
    invited: int
    waiting: int

    @property
    def places_left(self) -> int:
        return max(0, self.appointment.capacity - self.invited)


@staff_bp.get("/groups")
@login_required
@requires(KLANTMANAGER)
def groups() -> ResponseReturnValue:
    """The upcoming group sessions of the municipality, with the places left; ``?newcomer=`` offers to add one."""
    newcomer = None
    if request.args.get("newcomer"):
        newcomer_id = bounded_int(request.args["newcomer"])
        if newcomer_id is None:
            abort(404)
        newcomer = _file_or_404(newcomer_id)
    sessions = db.session.scalars(
        select(Appointment)
        .where(Appointment.kind.in_(GROUP_KINDS), Appointment.status == PLANNED, Appointment.starts_at > utcnow())
        .order_by(Appointment.starts_at, Appointment.id)
        .limit(SHOWN_GROUPS + 1)
    ).all()
    rows = [
        SessionRow(
            s,
            invited=sum(1 for a in s.attendees if a.status == INVITED),
            waiting=sum(1 for a in s.attendees if a.status == WAITING),
        )
        for s in sessions[:SHOWN_GROUPS]
    ]
    if newcomer is not None:
        rows = [r for r in rows if r.appointment.municipality_id == newcomer.municipality_id]
        on_it = {r.appointment.id for r in rows for a in r.appointment.attendees if a.newcomer_id == newcomer.id}
    else:
        on_it = set()
    return _page(
        "appointments/staff_groups.html",
        rows=rows,
        more=len(sessions) > SHOWN_GROUPS,
        newcomer=newcomer,
        on_it=on_it,
        confirm=ConfirmForm(),
    )


@staff_bp.route("/groups/new", methods=["GET", "POST"])
@login_required
@requires(KLANTMANAGER)
def new_group() -> ResponseReturnValue:
    """Create a group session (PVT, KNM, MAP workshop); newcomers are invited on its page."""
    staff = current_staff()
    form = GroupSessionForm()
    municipalities = sorted(((m.id, m.name) for m in staff.municipalities), key=lambda m: m[1])
    form.set_municipalities(municipalities)
    if not municipalities:
        abort(404)
    if len(municipalities) == 1:  # nothing to choose: the field is not shown
        form.municipality.data = municipalities[0][0]
    municipality_id = (
        form.municipality.data if form.municipality.data in form.municipality_ids else municipalities[0][0]
    )
    form.set_staff(_staff_choices(municipality_id))
    form.set_languages(_languages())
    template = "appointments/staff_group_new.html"
    if not form.is_submitted():
        wanted = request.args.get("kind", "")
        form.kind.data = wanted if wanted in GROUP_KINDS else form.kind.choices[0].value
        form.municipality.data = municipality_id
        form.staff.data = staff.id if staff.id in form.staff_ids else None
        form.apply_type()
        return _render_form(template, form, 200)
    if request.form.get("prefill"):
        form.apply_type()
        return _render_form(template, form, 200)
    if not form.validate_on_submit():
        return _render_form(template, form, 422)
    details = _details(form)
    earlier = _booked_just_now(details, staff, [])
    if earlier is not None:
        flash(_("This group session was created already."), "info")
        return redirect(url_for("backoffice.appointments.detail", appointment_id=earlier.id))
    clashes = services.clashes(form.starts_at, form.ends_at, staff_id=form.staff.data)
    if clashes and not form.anyway.data:
        return _render_form(template, form, 200, clashes=clashes)
    try:
        appointment, _result = services.book(municipality_id, details, [], actor=staff)
    except services.AppointmentError as error:
        db.session.rollback()
        _put_error(form, error)
        return _render_form(template, form, 422)
    db.session.commit()
    flash(_("The group session is created. Now invite newcomers."), "info")
    return redirect(url_for("backoffice.appointments.invite", appointment_id=appointment.id))


# -- one appointment --------------------------------------------------------------------------------


@dataclass(frozen=True)
class SmsFate:
    """One SMS of an attendee: what it was, and what became of it."""

    message: OutboundMessage
    reason: str | None

    @property
    def problem(self) -> bool:
        return self.message.status in PROBLEMS


def _fate(message: OutboundMessage) -> SmsFate:
    reason = None
    if message.status == "cancelled":
        reason = plain_reason(message.cancel_reason or "staff")
    elif message.status in ("failed", "undelivered", "unknown"):
        reason = plain_reason(message.error_code)
    elif message.status == "expired":
        reason = plain_reason(message.error_code or "expired")
    return SmsFate(message, reason)


def needs_call(appointment: Appointment, messages: dict[int, list[OutboundMessage]]) -> list[Attendee]:
    """Invited newcomers no SMS about the appointment as it is now reaches: call them.

    The notice of the current version (booked or moved; cancelled for a cancelled appointment) was
    never queued (quiet hours until the start) or did not get through.
    """
    if appointment.starts_at <= utcnow():
        return []
    kinds = (services.CANCELLED_NOTICE,) if appointment.status == CANCELLED else NOTICE_KINDS
    found = []
    for attendee in appointment.attendees:
        if attendee.status != INVITED:
            continue
        live = [
            m
            for m in messages.get(attendee.id, [])
            if m.kind in kinds and services.sequence_of(m) == attendee.calendar_sequence and m.status not in DEAD
        ]
        if not live:
            found.append(attendee)
    return found


def _order(attendee: Attendee) -> tuple:
    rank = {INVITED: 0, WAITING: 1, REMOVED: 2}[attendee.status]
    return (rank, attendee.waiting_since or attendee.created_at, attendee.id)


@staff_bp.get("/<int:appointment_id>")
@login_required
@requires(KLANTMANAGER)
def detail(appointment_id: int) -> ResponseReturnValue:
    """What, when, where, who; the attendees with their answer, their attendance and the fate of each SMS."""
    appointment = _appointment_or_404(appointment_id)
    messages = services.messages_of(appointment)
    attendee_ids = [a.id for a in appointment.attendees]
    answers: dict[int, list[ConversationMessage]] = {i: [] for i in attendee_ids}
    if attendee_ids:
        for message in db.session.scalars(
            select(ConversationMessage)
            .where(
                ConversationMessage.attendee_id.in_(attendee_ids),
                ConversationMessage.direction == FROM_NEWCOMER,
            )
            .order_by(ConversationMessage.created_at, ConversationMessage.id)
        ):
            answers[message.attendee_id].append(message)
    audit.record("appointment.viewed", "appointment", appointment.id, municipality_id=appointment.municipality_id)
    db.session.commit()
    now = utcnow()
    return _page(
        "appointments/staff_detail.html",
        appointment=appointment,
        kind=TYPES[appointment.kind],
        attendees=sorted(appointment.attendees, key=_order),
        fates={i: [_fate(m) for m in found] for i, found in messages.items()},
        answers=answers,
        call=needs_call(appointment, messages),
        map_link=map_link(appointment.address) if appointment.mode == IN_PERSON else None,
        changeable=appointment.status == PLANNED and appointment.starts_at > now,
        begun=appointment.starts_at <= now,
        places_left=appointment.capacity - sum(1 for a in appointment.attendees if a.status == INVITED),
        confirm=ConfirmForm(),
    )


@staff_bp.post("/<int:appointment_id>/attendees/<int:attendee_id>/interpreter")
@login_required
@requires(KLANTMANAGER)
def interpreter(appointment_id: int, attendee_id: int) -> ResponseReturnValue:
    """Mark the requested interpreter arranged (or not any more)."""
    appointment = _appointment_or_404(appointment_id)
    attendee = _attendee_or_404(appointment, attendee_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    if attendee.interpreter_language is None:
        abort(404)
    attendee.interpreter_arranged = request.form.get("arranged") == "1"
    audit.record(
        "appointment.interpreter_arranged" if attendee.interpreter_arranged else "appointment.interpreter_not_arranged",
        "appointment",
        appointment.id,
        municipality_id=appointment.municipality_id,
    )
    db.session.commit()
    flash(
        _("The interpreter is marked as arranged.")
        if attendee.interpreter_arranged
        else _("The interpreter is marked as not arranged."),
        "info",
    )
    return redirect(url_for("backoffice.appointments.detail", appointment_id=appointment.id, _anchor="attendees"))


# -- inviting -------------------------------------------------------------------------------------------


def _candidates(appointment: Appointment, values: dict[str, str], chosen: list[int]) -> tuple[list[Newcomer], bool]:
    """Newcomers of the municipality matching the filter who are not on the appointment (and those chosen)."""
    on_it = select(Attendee.newcomer_id).where(
        Attendee.appointment_id == appointment.id, Attendee.status.in_((INVITED, WAITING))
    )
    query = select(Newcomer).where(
        Newcomer.municipality_id == appointment.municipality_id,
        Newcomer.id.not_in(on_it),
        Newcomer.phone.not_like(f"{ERASED_PHONE}%"),  # an erased file is nobody to invite
    )
    if values["language"]:
        query = query.where(Newcomer.language == values["language"])
    if values["leerroute"]:
        query = query.where(Newcomer.leerroute == values["leerroute"])
    if values["status"]:
        query = query.where(Newcomer.status == values["status"])
    found = list(db.session.scalars(query.order_by(Newcomer.name, Newcomer.id).limit(MAX_INVITE + 1)))
    more = len(found) > MAX_INVITE
    found = found[:MAX_INVITE]
    missing = [i for i in chosen if i not in {n.id for n in found}]
    if missing:
        found = list(db.session.scalars(query.where(Newcomer.id.in_(missing)))) + found
    return found, more


@staff_bp.route("/<int:appointment_id>/invite", methods=["GET", "POST"])
@login_required
@requires(KLANTMANAGER)
def invite(appointment_id: int) -> ResponseReturnValue:
    """Filter the municipality's caseload, tick newcomers, invite them at once (places first, then the waiting list)."""
    appointment = _appointment_or_404(appointment_id)
    if appointment.status != PLANNED or appointment.starts_at <= utcnow():
        flash(_("This appointment cannot be changed any more."), "warning")
        return redirect(url_for("backoffice.appointments.detail", appointment_id=appointment.id))
    filter_form = CaseloadFilterForm(formdata=request.args)
    values = filter_form.clean(_languages(), _statuses())
    form = InviteForm()
    chosen = form.ids() if form.is_submitted() else []
    clashes: list[services.Clash] = []
    code = 200
    if form.is_submitted():
        if form.validate_on_submit():
            newcomers = list(
                db.session.scalars(
                    select(Newcomer)
                    .where(Newcomer.id.in_(chosen), Newcomer.municipality_id == appointment.municipality_id)
                    .order_by(Newcomer.name, Newcomer.id)
                )
            )
            clashes = services.clashes(
                appointment.starts_at,
                appointment.ends_at,
                staff_id=None,
                newcomer_ids=[n.id for n in newcomers],
                ignore_appointment_id=appointment.id,
            )
            if newcomers and (not clashes or form.anyway.data):
                return _invite(appointment, newcomers)
            if not newcomers:
                form.newcomer.errors = [_("Tick at least one newcomer.")]
                code = 422
        else:
            code = 422
    candidates, more = _candidates(appointment, values, chosen)
    return _page(
        "appointments/staff_invite.html",
        appointment=appointment,
        kind=TYPES[appointment.kind],
        filter_form=filter_form,
        filters={name: value for name, value in values.items() if value},
        form=form,
        candidates=candidates,
        chosen=set(chosen),
        more=more,
        clashes=clashes,
        places_left=appointment.capacity - sum(1 for a in appointment.attendees if a.status == INVITED),
    ), code


def _invite(appointment: Appointment, newcomers: list[Newcomer]) -> ResponseReturnValue:
    try:
        result = services.invite(appointment, newcomers, actor=current_staff())
    except services.AppointmentError as error:
        db.session.rollback()
        flash(str(error), "error")
        return redirect(url_for("backoffice.appointments.detail", appointment_id=appointment.id))
    db.session.commit()
    if result.invited:
        flash(ngettext("%(num)d newcomer invited.", "%(num)d newcomers invited.", len(result.invited)), "info")
    if result.waiting:
        flash(
            ngettext(
                "%(num)d newcomer is on the waiting list: the session is full.",
                "%(num)d newcomers are on the waiting list: the session is full.",
                len(result.waiting),
            ),
            "warning",
        )
    if result.already:
        flash(
            ngettext(
                "%(num)d newcomer was on it already.", "%(num)d newcomers were on it already.", len(result.already)
            ),
            "info",
        )
    return redirect(url_for("backoffice.appointments.detail", appointment_id=appointment.id, _anchor="attendees"))


# -- moving, cancelling, taking off -----------------------------------------------------------------------


def _unchangeable(appointment: Appointment) -> ResponseReturnValue | None:
    """A redirect with the reason when the appointment can no longer be changed, else ``None``."""
    if appointment.status == CANCELLED:
        flash(_("This appointment is cancelled: it cannot be changed."), "warning")
    elif appointment.starts_at <= utcnow():
        flash(_("This appointment has begun: it cannot be moved or cancelled."), "warning")
    else:
        return None
    return redirect(url_for("backoffice.appointments.detail", appointment_id=appointment.id))


def _invited(appointment: Appointment) -> list[Attendee]:
    return [a for a in appointment.attendees if a.status == INVITED]


@staff_bp.route("/<int:appointment_id>/move", methods=["GET", "POST"])
@login_required
@requires(KLANTMANAGER)
def move(appointment_id: int) -> ResponseReturnValue:
    """A new date and time (and place, room, staff member): the form, then a confirmation; then the SMS go."""
    appointment = _appointment_or_404(appointment_id)
    refused = _unchangeable(appointment)
    if refused is not None:
        return refused
    form = MoveForm()
    form.in_person = appointment.mode == IN_PERSON
    form.set_staff(_staff_choices(appointment.municipality_id, keep=appointment.staff_id))
    invited = _invited(appointment)
    context = {"appointment": appointment, "kind": TYPES[appointment.kind], "invited": invited}
    if not form.is_submitted():
        start = _local(appointment.starts_at)
        form.day.data, form.start.data = start.date(), start.time().replace(second=0, microsecond=0)
        form.duration.data = minutes(appointment.ends_at - appointment.starts_at)
        form.location.data, form.address.data, form.room.data = (
            appointment.location,
            appointment.address,
            appointment.room,
        )
        form.staff.data = appointment.staff_id
        return _page("appointments/staff_move.html", form=form, **context)
    if not form.validate_on_submit():
        return _page("appointments/staff_move.html", form=form, **context), 422
    staff_id = form.staff.data or appointment.staff_id
    clashes = services.clashes(
        form.starts_at,
        form.ends_at,
        staff_id=staff_id,
        newcomer_ids=[a.newcomer_id for a in invited],
        ignore_appointment_id=appointment.id,
    )
    if not form.confirmed.data or (clashes and not form.anyway.data):
        code = 200
        if form.confirmed.data:
            form.anyway.errors = [_("Tick the box to move it anyway, or change the time.")]
            code = 422
        return _page("appointments/staff_move_confirm.html", form=form, clashes=clashes, **context), code
    try:
        unreachable = services.move(
            appointment,
            form.starts_at,
            form.ends_at,
            actor=current_staff(),
            location=(form.location.data or "") if form.in_person else None,
            address=(form.address.data or "") if form.in_person else None,
            room=(form.room.data or "") if form.in_person else None,
            staff_id=staff_id,
        )
    except services.AppointmentError as error:
        db.session.rollback()
        _put_error(form, error)
        return _page("appointments/staff_move.html", form=form, **context), 422
    db.session.commit()
    flash(
        ngettext(
            "The appointment is moved. %(num)d newcomer gets an SMS.",
            "The appointment is moved. %(num)d newcomers get an SMS.",
            len(invited) - len(unreachable),
        ),
        "info",
    )
    if unreachable:
        flash(
            ngettext(
                "%(num)d newcomer cannot be reached by SMS in time: call them (see below).",
                "%(num)d newcomers cannot be reached by SMS in time: call them (see below).",
                len(unreachable),
            ),
            "warning",
        )
    return redirect(url_for("backoffice.appointments.detail", appointment_id=appointment.id))


@staff_bp.route("/<int:appointment_id>/cancel", methods=["GET", "POST"])
@login_required
@requires(KLANTMANAGER)
def cancel(appointment_id: int) -> ResponseReturnValue:
    """Cancel with a reason the newcomer reads in their language: the reason, then a confirmation."""
    appointment = _appointment_or_404(appointment_id)
    refused = _unchangeable(appointment)
    if refused is not None:
        return refused
    form = CancelForm()
    context = {"appointment": appointment, "kind": TYPES[appointment.kind], "invited": _invited(appointment)}
    if not form.is_submitted():
        return _page("appointments/staff_cancel.html", form=form, **context)
    if not form.validate_on_submit():
        return _page("appointments/staff_cancel.html", form=form, **context), 422
    if not form.confirmed.data:
        return _page("appointments/staff_cancel_confirm.html", form=form, **context)
    try:
        unreachable = services.cancel(appointment, form.reason.data, actor=current_staff())
    except services.AppointmentError as error:
        db.session.rollback()
        _put_error(form, error)
        return _page("appointments/staff_cancel.html", form=form, **context), 422
    db.session.commit()
    flash(_("The appointment is cancelled. The newcomers get an SMS."), "info")
    if unreachable:
        flash(
            ngettext(
                "%(num)d newcomer cannot be reached by SMS in time: call them (see below).",
                "%(num)d newcomers cannot be reached by SMS in time: call them (see below).",
                len(unreachable),
            ),
            "warning",
        )
    return redirect(url_for("backoffice.appointments.detail", appointment_id=appointment.id))


@staff_bp.route("/<int:appointment_id>/attendees/<int:attendee_id>/remove", methods=["GET", "POST"])
@login_required
@requires(KLANTMANAGER)
def remove(appointment_id: int, attendee_id: int) -> ResponseReturnValue:
    """Take one newcomer off (after a confirmation); the first on the waiting list gets their place."""
    appointment = _appointment_or_404(appointment_id)
    attendee = _attendee_or_404(appointment, attendee_id)
    refused = _unchangeable(appointment)
    if refused is not None:
        return refused
    if attendee.status == REMOVED:
        flash(_("This person is not on this appointment."), "info")
        return redirect(url_for("backoffice.appointments.detail", appointment_id=appointment.id))
    form = ConfirmForm()
    if not form.validate_on_submit():
        code = 400 if form.is_submitted() else 200
        return _page(
            "appointments/staff_remove.html", appointment=appointment, kind=TYPES[appointment.kind], attendee=attendee
        ), code
    try:
        promoted = services.remove(attendee, actor=current_staff())
    except services.AppointmentError as error:
        db.session.rollback()
        flash(str(error), "error")
        return redirect(url_for("backoffice.appointments.detail", appointment_id=appointment.id))
    db.session.commit()
    flash(_("The person is taken off the appointment."), "info")
    if promoted is not None:
        flash(_("The first person on the waiting list got the place and gets an SMS."), "info")
    return redirect(url_for("backoffice.appointments.detail", appointment_id=appointment.id, _anchor="attendees"))


# -- attendance ---------------------------------------------------------------------------------------------


@staff_bp.route("/<int:appointment_id>/attendance", methods=["GET", "POST"])
@login_required
@requires(KLANTMANAGER)
def attendance(appointment_id: int) -> ResponseReturnValue:
    """Present, absent with or without a reason, cancelled late: per attendee, once the appointment has begun."""
    appointment = _appointment_or_404(appointment_id)
    if appointment.status == CANCELLED:
        flash(_("This appointment is cancelled: it cannot be changed."), "warning")
        return redirect(url_for("backoffice.appointments.detail", appointment_id=appointment.id))
    if appointment.starts_at > utcnow():
        flash(_("Attendance can be recorded once the appointment has begun."), "warning")
        return redirect(url_for("backoffice.appointments.detail", appointment_id=appointment.id))
    invited = sorted(_invited(appointment), key=lambda a: (a.newcomer.name, a.id))
    form = attendance_form([(a.id, a.attendance, a.absence_reason) for a in invited])
    if form.validate_on_submit():
        by_id = {a.id: a for a in invited}
        staff = current_staff()
        try:
            for attendee_id, value, reason in form.values():
                services.record_attendance(by_id[attendee_id], value, reason=reason, actor=staff)
        except services.AppointmentError as error:
            db.session.rollback()
            flash(str(error), "error")
        else:
            db.session.commit()
            flash(_("The attendance is saved."), "info")
            return redirect(
                url_for("backoffice.appointments.detail", appointment_id=appointment.id, _anchor="attendees")
            )
    return _page(
        "appointments/staff_attendance.html",
        appointment=appointment,
        kind=TYPES[appointment.kind],
        form=form,
        rows=[(a, form[f"a{a.id}"], form[f"r{a.id}"]) for a in invited],
    ), 422 if form.errors else 200


# -- a newcomer's own quiet hours -------------------------------------------------------------------


@staff_bp.route("/quiet-hours/<int:newcomer_id>", methods=["GET", "POST"])
@login_required
@requires(KLANTMANAGER)
def quiet_hours(newcomer_id: int) -> ResponseReturnValue:
    """No appointment SMS in the hours this person sleeps (shift work); empty: the usual hours."""
    newcomer = _file_or_404(newcomer_id)
    form = QuietHoursForm(obj=newcomer if request.method == "GET" else None)
    default = services.quiet_hours_default()
    if not form.validate_on_submit():
        code = 422 if form.is_submitted() else 200
        return _page("appointments/staff_quiet_hours.html", newcomer=newcomer, form=form, default=default), code
    replanned = services.set_quiet_hours(newcomer, form.quiet_start.data, form.quiet_end.data, actor=current_staff())
    db.session.commit()
    flash(_("The quiet hours are saved."), "info")
    if replanned:
        flash(
            ngettext(
                "The reminders of %(num)d upcoming appointment were planned again.",
                "The reminders of %(num)d upcoming appointments were planned again.",
                replanned,
            ),
            "info",
        )
    return redirect(url_for("backoffice.file", newcomer_id=newcomer.id, _anchor="appointments-section"))
