"""Forms of the klantmanager's appointment pages: booking one, a group session, moving, cancelling,
inviting from the caseload, attendance.

Times are typed in Europe/Amsterdam (a date, a start and an end or a duration) and come out as
aware UTC datetimes (:attr:`WhenFields.starts_at`, :attr:`WhenFields.ends_at`). Every rule has its
message next to its field; the service checks the same rules again (``AppointmentError``), and the
view puts such an error on the field :data:`ERROR_FIELDS` names. The choices that depend on the
request (the staff of the municipality, the languages in the reader's language) are filled in by the
view, as elsewhere in the back office.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from urllib.parse import urlsplit

from flask import current_app
from flask_babel import format_date
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    Field,
    IntegerField,
    RadioField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import InputRequired, Length, NumberRange, Optional, ValidationError

from app.params import MAX_ID, bounded_int
from workflows.appointments import ABSENT_EXCUSED, ATTENDANCE, ATTENDANCE_LABELS, BRING, CANCEL_REASONS, PRESENT, TYPES
from workflows.i18n import Msg

from .backoffice import optional_id
from .dates import AMSTERDAM, SaneDate, today

TOO_LONG = _l("Write at most %(max)d characters.")
MAX_NOTE = 2000
MAX_MINUTES = 12 * 60
MAX_INVITE = 200
"""The most newcomers listed (and invited) at once."""

IN_PERSON, PHONE, VIDEO = "in_person", "phone", "video"
MODE_CHOICES = (
    (IN_PERSON, _l("In person")),
    (PHONE, _l("By phone")),
    (VIDEO, _l("By video")),
)

ERROR_FIELDS = {
    "unknown_kind": "kind",
    "in_the_past": "start",
    "too_far": "day",
    "ends_before_start": "end",
    "too_long": "duration",
    "unknown_mode": "mode",
    "no_location": "location",
    "no_video_link": "video_link",
    "bad_capacity": "capacity",
    "unknown_bring": "bring",
    "unknown_reason": "reason",
    "unknown_attendance": "attendance",
}
"""The field that shows each ``AppointmentError`` of the service (others are shown above the form)."""


def lenient_id(value: object) -> int | None:
    """A chosen id within an id's bounds, or ``None`` (nothing, or not an id: the field's check says which)."""
    if isinstance(value, int):
        return value if 0 < value <= MAX_ID else None
    return bounded_int(value)


def choices(pairs: object) -> list[SelectChoice]:
    """(value, label) pairs as the choices of a field; a label of a workflow definition (``N_``) is
    translated when the field is rendered, in the reader's language."""
    return [
        SelectChoice(value, _l(label) if isinstance(label, Msg) else label)  # type: ignore[attr-defined]
        for value, label in pairs
    ]


def kind_choices(group: bool) -> list[SelectChoice]:
    """The appointment types for a single booking (``group=False``) or a group session, by name."""
    return choices((t.id, t.name) for t in TYPES.values() if t.group == group)


def minutes(delta: timedelta) -> int:
    """A duration in whole minutes (for the duration field)."""
    return int(delta.total_seconds() // 60)


def max_future_days() -> int:
    """How far ahead an appointment may be (``APPOINTMENT_MAX_FUTURE_DAYS``)."""
    return int(current_app.config["APPOINTMENT_MAX_FUTURE_DAYS"])


def local_moment(day: date, clock: time) -> datetime | None:
    """``day`` at ``clock`` in Amsterdam as aware UTC, or ``None`` if the clocks skip that time (summer time)."""
    local = datetime.combine(day, clock, tzinfo=AMSTERDAM)
    utc = local.astimezone(UTC)
    if utc.astimezone(AMSTERDAM).replace(tzinfo=None) != local.replace(tzinfo=None):
        return None
    return utc


class AppointmentDay(SaneDate):
    """A date from today up to ``APPOINTMENT_MAX_FUTURE_DAYS`` ahead; the message names both ends.

    The staff forms' date rule (``SaneDate``) with the bounds of an appointment: not before today.
    """

    def __init__(self) -> None:
        super().__init__(future_days=None)

    def __call__(self, form: object, field: Field) -> None:
        if field.data is None:
            return
        earliest = today()
        latest = earliest + timedelta(days=max_future_days())
        if not earliest <= field.data <= latest:
            raise ValidationError(
                _l(
                    "Type a date from %(earliest)s to %(latest)s.",
                    earliest=format_date(earliest),
                    latest=format_date(latest),
                )
            )


class CheckboxesField(SelectMultipleField):
    """Several choices as check boxes (the template draws them)."""


class WhenFields(FlaskForm):
    """Date, start, and a duration or an end (Europe/Amsterdam)."""

    day = DateField(
        _l("Date"),
        format="%Y-%m-%d",
        validators=[InputRequired(message=_l("Give the date.")), AppointmentDay()],
    )
    start = TimeField(
        _l("Start time"),
        format="%H:%M",
        validators=[InputRequired(message=_l("Give the start time, for example 10:30."))],
    )
    duration = IntegerField(
        _l("Duration in minutes"),
        validators=[
            Optional(),
            NumberRange(min=5, max=MAX_MINUTES, message=_l("A duration from 5 to 720 minutes.")),
        ],
    )
    end = TimeField(
        _l("End time"),
        description=_l("Instead of the duration, if you prefer."),
        format="%H:%M",
        validators=[Optional()],
    )

    starts_at: datetime | None = None
    ends_at: datetime | None = None

    def _check_when(self) -> bool:
        """Set ``starts_at`` and ``ends_at`` (UTC), or put the reason on the field; whether it worked."""
        if self.day.errors or self.start.errors or self.day.data is None or self.start.data is None:
            return False
        starts_at = local_moment(self.day.data, self.start.data)
        if starts_at is None:
            self.start.errors.append(_l("This time does not exist on that day: the clocks go forward an hour."))
            return False
        if starts_at <= datetime.now(UTC):
            self.start.errors.append(_l("The appointment must start in the future."))
            return False
        if self.end.data is not None:
            ends_at = local_moment(self.day.data, self.end.data)
            if ends_at is None:
                self.end.errors.append(_l("This time does not exist on that day: the clocks go forward an hour."))
                return False
            if ends_at <= starts_at:
                self.end.errors.append(_l("The end must be after the start."))
                return False
            if ends_at - starts_at > timedelta(minutes=MAX_MINUTES):
                self.end.errors.append(_l("An appointment lasts at most 12 hours."))
                return False
        elif self.duration.errors:  # out of bounds (a huge number would not even make a timedelta)
            return False
        elif self.duration.data is not None:
            ends_at = starts_at + timedelta(minutes=self.duration.data)
        else:
            self.duration.errors.append(_l("Give the duration or the end time."))
            return False
        self.starts_at, self.ends_at = starts_at, ends_at
        return True


class PlaceFields(FlaskForm):
    """Where: in person (a short name, an address, a room), by phone, or by video with a link."""

    mode = RadioField(_l("How"), choices=choices(MODE_CHOICES), default=IN_PERSON)
    location = StringField(
        _l("Place"),
        description=_l("A short name that fits in an SMS, for example Town hall."),
        validators=[Length(max=80, message=TOO_LONG)],
    )
    address = StringField(_l("Address"), validators=[Length(max=200, message=TOO_LONG)])
    room = StringField(_l("Room"), validators=[Length(max=40, message=TOO_LONG)])
    video_link = StringField(
        _l("Video link"),
        description=_l("Starts with https://"),
        validators=[Length(max=300, message=TOO_LONG)],
    )

    def _check_place(self) -> bool:
        """Whatever the mode needs; whether it is all there."""
        if self.mode.data == IN_PERSON and not (self.location.data or "").strip():
            self.location.errors.append(_l("Give the place of an appointment in person."))
            return False
        if self.mode.data == VIDEO and not is_https_link(self.video_link.data or ""):
            self.video_link.errors.append(_l("Give the video link (https://...)."))
            return False
        return True


def is_https_link(value: str) -> bool:
    """An https link with a host and no spaces."""
    value = value.strip()
    if not value.startswith("https://") or any(c.isspace() for c in value):
        return False
    try:
        return bool(urlsplit(value).hostname)
    except ValueError:
        return False


class AppointmentForm(WhenFields, PlaceFields):
    """What every new appointment has: type, time, place, staff member, what to bring, a note."""

    group = False

    kind = SelectField(
        _l("Kind of appointment"),
        choices=[],
        validators=[InputRequired(message=_l("Choose the kind of appointment."))],
    )
    staff = SelectField(_l("Staff member"), coerce=lenient_id, choices=[], validate_choice=False)
    bring = CheckboxesField(_l("What to bring"), choices=choices(BRING.items()), validate_choice=False)
    note = TextAreaField(
        _l("Note for staff"),
        description=_l("Only staff read this. It is never sent to the newcomer."),
        validators=[Length(max=MAX_NOTE, message=TOO_LONG)],
    )
    anyway = BooleanField(_l("Book anyway"))

    staff_ids: tuple[int, ...] = ()

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.kind.choices = kind_choices(self.group)
        self.bring.choices = choices(BRING.items())

    def set_staff(self, members: list[tuple[int, str]]) -> None:
        """The staff members one may choose (id, name)."""
        self.staff.choices = choices(members)
        self.staff_ids = tuple(member_id for member_id, _name in members)

    def apply_type(self) -> None:
        """The chosen type's defaults: its duration and what to bring (the "use the defaults" button)."""
        kind = TYPES.get(self.kind.data or "")
        if kind is None:
            return
        self.duration.data = minutes(kind.duration)
        self.duration.raw_data = [str(self.duration.data)]
        self.end.data, self.end.raw_data = None, []
        self.bring.data = list(kind.bring)

    def validate_staff(self, field: Field) -> None:
        if field.data is None and not any(field.raw_data or ()):
            raise ValidationError(_l("Choose the staff member."))
        if field.data not in self.staff_ids:
            raise ValidationError(_l("Choose a staff member from the list."))

    def validate_bring(self, field: Field) -> None:
        if not set(field.data or ()) <= set(BRING):
            raise ValidationError(_l("Choose what to bring from the list."))

    def validate(self, extra_validators: dict | None = None) -> bool:
        """The fields' own rules, then the time and the place together."""
        valid = super().validate(extra_validators)
        when = self._check_when()
        place = self._check_place()
        return valid and when and place


class BookForm(AppointmentForm):
    """One appointment with one newcomer, from their file."""

    interpreter = BooleanField(_l("An interpreter is needed"))
    interpreter_language = SelectField(_l("Language of the interpreter"), choices=[], validate_choice=False)

    language_codes: tuple[str, ...] = ()

    def set_languages(self, languages: list[tuple[str, str]]) -> None:
        """The languages an interpreter can be asked for (code, name)."""
        self.interpreter_language.choices = choices([("", _l("Choose a language")), *languages])
        self.language_codes = tuple(code for code, _name in languages)

    def validate_interpreter_language(self, field: Field) -> None:
        if not self.interpreter.data:
            return
        kind = TYPES.get(self.kind.data or "")
        if kind is not None and not kind.interpreter_possible:
            raise ValidationError(_l("This kind of appointment is held without an interpreter."))
        if not field.data:
            raise ValidationError(_l("Choose the language of the interpreter."))
        if field.data not in self.language_codes:
            raise ValidationError(_l("Choose a language from the list."))


class GroupSessionForm(AppointmentForm):
    """A group session (PVT, KNM, MAP workshop) with places and, if it has one, the group's language."""

    group = True

    municipality = SelectField(_l("Municipality"), coerce=lenient_id, choices=[], validate_choice=False)
    capacity = IntegerField(
        _l("Number of places"),
        validators=[
            Optional(),
            NumberRange(min=1, max=MAX_INVITE, message=_l("The number of places must be between 1 and 200.")),
        ],
    )
    group_language = SelectField(
        _l("Language of the group"),
        description=_l("PVT groups are formed by mother tongue where possible."),
        choices=[],
        validate_choice=False,
    )

    municipality_ids: tuple[int, ...] = ()
    language_codes: tuple[str, ...] = ()

    def set_municipalities(self, municipalities: list[tuple[int, str]]) -> None:
        self.municipality.choices = choices(municipalities)
        self.municipality_ids = tuple(m for m, _name in municipalities)

    def set_languages(self, languages: list[tuple[str, str]]) -> None:
        self.group_language.choices = choices([("", _l("Mixed: no one language")), *languages])
        self.language_codes = tuple(code for code, _name in languages)

    def apply_type(self) -> None:
        super().apply_type()
        kind = TYPES.get(self.kind.data or "")
        if kind is not None:
            self.capacity.data = kind.default_capacity
            self.capacity.raw_data = [str(kind.default_capacity)]

    def validate_municipality(self, field: Field) -> None:
        if field.data not in self.municipality_ids:
            raise ValidationError(_l("Choose a municipality from the list."))

    def validate_group_language(self, field: Field) -> None:
        if field.data and field.data not in self.language_codes:
            raise ValidationError(_l("Choose a language from the list."))


class MoveForm(WhenFields):
    """A new date and time, and optionally a new place, room or staff member."""

    location = StringField(_l("Place"), validators=[Length(max=80, message=TOO_LONG)])
    address = StringField(_l("Address"), validators=[Length(max=200, message=TOO_LONG)])
    room = StringField(_l("Room"), validators=[Length(max=40, message=TOO_LONG)])
    staff = SelectField(_l("Staff member"), coerce=lenient_id, choices=[], validate_choice=False)
    confirmed = BooleanField()
    anyway = BooleanField(_l("Move anyway"))

    staff_ids: tuple[int, ...] = ()
    in_person = True

    def set_staff(self, members: list[tuple[int, str]]) -> None:
        self.staff.choices = choices(members)
        self.staff_ids = tuple(member_id for member_id, _name in members)

    def validate_staff(self, field: Field) -> None:
        if (field.data is not None or any(field.raw_data or ())) and field.data not in self.staff_ids:
            raise ValidationError(_l("Choose a staff member from the list."))

    def validate(self, extra_validators: dict | None = None) -> bool:
        valid = super().validate(extra_validators)
        when = self._check_when()
        if self.in_person and not (self.location.data or "").strip():
            self.location.errors.append(_l("Give the place of an appointment in person."))
            return False
        return valid and when


class CancelForm(FlaskForm):
    """A reason from the list (the newcomer reads it in their language), then a confirmation."""

    reason = SelectField(
        _l("Reason"),
        description=_l("The newcomer reads this text in their own language."),
        choices=choices([("", _l("Choose a reason")), *CANCEL_REASONS.items()]),
        validate_choice=False,
        validators=[InputRequired(message=_l("Choose a reason from the list."))],
    )
    confirmed = BooleanField()

    def validate_reason(self, field: Field) -> None:
        if field.data not in CANCEL_REASONS:
            raise ValidationError(_l("Choose a reason from the list."))


class CaseloadFilterForm(FlaskForm):
    """Which newcomers of the municipality to list for an invitation (a GET form: no CSRF)."""

    class Meta:
        csrf = False

    language = SelectField(_l("Language"), choices=[], validate_choice=False, default="")
    leerroute = SelectField(
        _l("Route"),
        choices=choices(
            [("", _l("Any route")), ("B", _l("B1-route")), ("Z", _l("Z-route")), ("O", _l("Education route"))]
        ),
        validate_choice=False,
        default="",
    )
    status = SelectField(_l("Status"), choices=[], validate_choice=False, default="")

    def clean(self, languages: list[tuple[str, str]], statuses: list[tuple[str, str]]) -> dict[str, str]:
        """The filter's values, each from its list (anything else: no filter)."""
        self.language.choices = choices([("", _l("Any language")), *languages])
        self.status.choices = choices([("", _l("Any status")), *statuses])
        values = {
            "language": self.language.data if self.language.data in {c for c, _n in languages} else "",
            "leerroute": self.leerroute.data if self.leerroute.data in ("B", "Z", "O") else "",
            "status": self.status.data if self.status.data in {c for c, _n in statuses} else "",
        }
        for name, value in values.items():
            self[name].data = value
        return values


class InviteForm(FlaskForm):
    """The newcomers ticked in the list (ids within bounds; the view keeps those of the municipality)."""

    newcomer = SelectMultipleField(_l("Newcomers"), coerce=str, choices=[], validate_choice=False)
    anyway = BooleanField(_l("Invite anyway"))

    def ids(self) -> list[int]:
        """The ticked ids that are whole numbers within an id's bounds (at most :data:`MAX_INVITE`)."""
        found: list[int] = []
        for value in self.newcomer.data or ():
            try:
                number = optional_id(value)
            except ValueError:
                continue
            if number is not None and number not in found:
                found.append(number)
        return found[:MAX_INVITE]

    def validate_newcomer(self, field: Field) -> None:
        if not self.ids():
            raise ValidationError(_l("Tick at least one newcomer."))


def attendance_form(attendees: list[tuple[int, str | None, str | None]], formdata: object = None) -> FlaskForm:
    """A form with, per attendee id, the attendance (``a<id>``) and the reason of an absence (``r<id>``).

    ``attendees`` lists (id, attendance so far, reason so far).
    """

    class AttendanceForm(FlaskForm):
        all_present = BooleanField(_l("Everyone was present"))

        def attendee_fields(self) -> list[tuple[int, Field, Field]]:
            return [(i, self[f"a{i}"], self[f"r{i}"]) for i, _a, _r in attendees]

        def values(self) -> list[tuple[int, str, str]]:
            """(id, attendance, reason) for each attendee whose attendance is given."""
            found = []
            for attendee_id, attendance, reason in self.attendee_fields():
                value = PRESENT if self.all_present.data else attendance.data
                if value:
                    found.append((attendee_id, value, (reason.data or "").strip() if value != PRESENT else ""))
            return found

        def validate(self, extra_validators: dict | None = None) -> bool:
            valid = super().validate(extra_validators)
            if self.all_present.data:
                return valid
            for _attendee_id, attendance, reason in self.attendee_fields():
                if attendance.data == ABSENT_EXCUSED and not (reason.data or "").strip():
                    reason.errors.append(_l("Give the reason of the absence."))
                    valid = False
            if valid and not self.values():
                self.all_present.errors.append(_l("Choose the attendance of at least one person."))
                valid = False
            return valid

    for attendee_id, attendance, reason in attendees:
        setattr(
            AttendanceForm,
            f"a{attendee_id}",
            RadioField(
                _l("Attendance"),
                choices=choices((key, ATTENDANCE_LABELS[key]) for key in ATTENDANCE),
                default=attendance,
                validators=[Optional()],
            ),
        )
        setattr(
            AttendanceForm,
            f"r{attendee_id}",
            StringField(_l("Reason"), default=reason or "", validators=[Length(max=300, message=TOO_LONG)]),
        )
    return AttendanceForm(formdata=formdata) if formdata is not None else AttendanceForm()


MAX_QUIET_HOURS = 16
"""A person's quiet period leaves at least 8 hours a day in which SMS may reach them."""


class QuietHoursForm(FlaskForm):
    """A newcomer's own quiet hours (shift work): both times, or neither for the default."""

    quiet_start = TimeField(_l("No SMS from"), validators=[Optional()], format="%H:%M")
    quiet_end = TimeField(_l("until"), validators=[Optional()], format="%H:%M")

    def validate(self, extra_validators: dict | None = None) -> bool:
        if not super().validate(extra_validators):
            return False
        start, end = self.quiet_start.data, self.quiet_end.data
        if (start is None) != (end is None):
            missing = self.quiet_end if end is None else self.quiet_start
            missing.errors.append(_l("Give both times, or leave both empty for the usual quiet hours."))
            return False
        if start is None:
            return True
        minutes = ((end.hour * 60 + end.minute) - (start.hour * 60 + start.minute)) % (24 * 60)
        for field in (self.quiet_start, self.quiet_end):
            if field.data.hour == 2:  # the hour the clocks skip or repeat twice a year
                field.errors.append(_l("Choose a time outside 02:00-03:00: the clocks change in that hour."))
        if self.quiet_start.errors or self.quiet_end.errors:
            return False
        if start == end:
            self.quiet_end.errors.append(_l("The two times must differ."))
        elif minutes > MAX_QUIET_HOURS * 60:
            self.quiet_end.errors.append(_l("Quiet hours last at most 16 hours a day."))
        return not self.quiet_end.errors
