"""Back-office forms: registering a newcomer, reviewing an intake, notes, status changes."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional, ValidationError

from app.params import MAX_ID, bounded_int
from workflows.fields import parse_phone

from .conversation import MAX_BODY, TOO_LONG, MessageFields
from .dates import SaneDate


def is_valid_bsn(value: str) -> bool:
    """The eleven-test of a Dutch citizen service number (BSN): 9 digits, weighted sum divisible by 11."""
    if len(value) != 9 or not value.isdigit() or value == "000000000":
        return False
    weights = (9, 8, 7, 6, 5, 4, 3, 2, -1)
    return sum(int(d) * w for d, w in zip(value, weights, strict=True)) % 11 == 0


def optional_id(value: object) -> int | None:
    """A choice of an id, or None when nothing is chosen (the view then says what to choose).

    Anything but a whole number within an id's bounds is a ValueError (the field says it is not a
    valid choice): beyond 2**31 - 1 PostgreSQL's ``integer`` would refuse the query, a 500.
    """
    if value in (None, ""):
        return None
    if isinstance(value, int):
        number = value
    else:
        number = bounded_int(value)
        if number is None:
            raise ValueError(value)
    if not 0 < number <= MAX_ID:
        raise ValueError(value)
    return number


class RegisterNewcomerForm(FlaskForm):
    """A klantmanager registers a newcomer by hand."""

    name = StringField(
        _l("Full name"),
        validators=[
            InputRequired(message=_l("Please fill in a name.")),
            Length(max=200, message=_l("Write at most %(max)d characters.")),
        ],
    )
    phone = StringField(
        _l("Mobile phone number"), validators=[InputRequired(message=_l("Please fill in a phone number."))]
    )
    language = SelectField(
        _l("Preferred language"), choices=[], validators=[InputRequired(message=_l("Choose a language."))]
    )
    doelgroep = SelectField(_l("Target group"), choices=[])
    municipality = SelectField(_l("Municipality"), coerce=int, choices=[])
    duo_notified_on = DateField(
        _l("Date of DUO's notification"),
        validators=[Optional(), SaneDate()],
        format="%Y-%m-%d",
    )
    settled_on = DateField(
        _l("Date settled in the municipality"), validators=[Optional(), SaneDate()], format="%Y-%m-%d"
    )
    bsn = StringField(_l("BSN (optional)"), validators=[Optional(), Length(max=20)])
    klantmanager = SelectField(_l("Responsible klantmanager"), coerce=optional_id, choices=[], validate_choice=False)

    e164: str = ""

    def validate_phone(self, field: StringField) -> None:
        """Any way of writing a valid number; kept as E.164."""
        number = parse_phone(field.data or "")
        if number is None:
            raise ValidationError(_l("Type a valid phone number, for example %(example)s.", example="06 12345678"))
        self.e164 = number

    def validate_bsn(self, field: StringField) -> None:
        """Nine digits that pass the eleven-test."""
        value = "".join(ch for ch in field.data or "" if not ch.isspace() and ch != ".")
        if value and not is_valid_bsn(value.zfill(9) if len(value) == 8 else value):
            raise ValidationError(_l("This is not a valid BSN (it fails the eleven-test)."))
        field.data = (value.zfill(9) if len(value) == 8 else value) or None

    def validate(self, extra_validators: object = None) -> bool:
        """Field checks, then: at least one of the two dates, which start the 10-week term."""
        ok = super().validate(extra_validators)
        if self.duo_notified_on.data is None and self.settled_on.data is None and not self.duo_notified_on.errors:
            self.duo_notified_on.errors = [
                *self.duo_notified_on.errors,
                _l("Fill in the date of DUO's notification or the date of settling."),
            ]
            return False
        return ok


class DetailsForm(RegisterNewcomerForm):
    """Correct a registered newcomer's details: the rules of registering (phone, BSN eleven-test, dates)."""

    doelgroep = None
    municipality = None
    klantmanager = None
    bsn = StringField(
        _l("BSN"),
        description=_l("Leave empty to keep the BSN on file; type a new one to correct it."),
        validators=[Optional(), Length(max=20)],
    )


class ReturnIntakeForm(MessageFields):
    """Return an intake with a question for the newcomer: a common question, or free text in a language."""

    text_field = "question"
    question = TextAreaField(
        _l("Or write your own question"),
        description=_l("Plain language, short sentences. The newcomer sees it on their intake and answers there."),
        validators=[Length(max=MAX_BODY, message=TOO_LONG)],
    )


class NoteForm(FlaskForm):
    """A note on a file."""

    body = TextAreaField(_l("Note"), validators=[InputRequired(message=_l("Please write a note.")), Length(max=4000)])


class StatusForm(FlaskForm):
    """Change a file's status by hand."""

    status = SelectField(_l("New status"), choices=[], validators=[InputRequired(message=_l("Choose a status."))])
    comment = StringField(
        _l("Reason (optional)"),
        validators=[Optional(), Length(max=500, message=_l("Write at most %(max)d characters."))],
    )


class AssignForm(FlaskForm):
    """Give a file to another klantmanager (one of the file's municipality)."""

    klantmanager = SelectField(_l("Responsible klantmanager"), coerce=optional_id, choices=[], validate_choice=False)


class IdListField(SelectMultipleField):
    """Checked rows: whole numbers (ids); which of them the staff member may touch is checked later."""

    def process_formdata(self, valuelist: list[str]) -> None:
        """Whole numbers only, each once, in the order given."""
        try:
            self.data = list(dict.fromkeys(int(value) for value in valuelist))
        except ValueError as error:
            self.data = []
            raise ValueError(_l("The selection could not be read. Select the files again.")) from error

    def pre_validate(self, form: FlaskForm) -> None:
        """Any ids: the service checks them against the staff member's municipalities."""


BULK_ACTIONS = ("invite", "assign", "export")


class BulkForm(FlaskForm):
    """One action on the rows checked in the caseload."""

    selected = IdListField(_l("Select"), coerce=int)
    action = StringField()
    assignee = SelectField(_l("Assign to"), coerce=optional_id, choices=[], validate_choice=False)
    """Named apart from the caseload's ``klantmanager`` filter, which the form carries as well."""

    def validate_selected(self, field: IdListField) -> None:
        """At least one row."""
        if not field.data and not field.errors:
            raise ValidationError(_l("Select at least one file."))

    def validate_action(self, field: StringField) -> None:
        """One of the buttons."""
        if field.data not in BULK_ACTIONS:
            raise ValidationError(_l("Choose what to do with the selected files."))
