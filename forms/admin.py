"""Forms of the beheerder's administration (staff, municipalities, audit log) and of erasing a file."""

from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, EmailField, IntegerField, SelectField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, Email, InputRequired, Length, NumberRange, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from .dates import SaneDate

MAX_ID = 2**31 - 1  # app.params.MAX_ID: forms/ does not import the app

KLANTMANAGER = "klantmanager"


class CheckboxListField(SelectMultipleField):
    """Several choices as a list of checkboxes (easier to use than a multiple select)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def _municipality_required(field: CheckboxListField, role: str | None) -> None:
    """A klantmanager works on files, so needs at least one municipality."""
    if role == KLANTMANAGER and not field.data:
        raise ValidationError(_l("A klantmanager needs at least one municipality."))


class StaffCreateForm(FlaskForm):
    """A beheerder adds a staff member."""

    name = StringField(_l("Name"), validators=[InputRequired(message=_l("Please fill in a name.")), Length(max=200)])
    email = EmailField(
        _l("E-mail address"),
        validators=[
            InputRequired(message=_l("Please fill in an e-mail address.")),
            Length(max=254),
            Email(message=_l("This is not a valid e-mail address.")),
        ],
    )
    role = SelectField(_l("Role"), choices=[])
    municipalities = CheckboxListField(_l("Municipalities"), coerce=int, choices=[])

    def validate_name(self, field: StringField) -> None:
        """Not only spaces; inner runs of spaces become one."""
        field.data = " ".join((field.data or "").split())
        if not field.data:
            raise ValidationError(_l("Please fill in a name."))

    def validate_municipalities(self, field: CheckboxListField) -> None:
        """A klantmanager needs at least one municipality."""
        _municipality_required(field, self.role.data)


class GrantForm(FlaskForm):
    """Change the municipalities a staff member serves."""

    municipalities = CheckboxListField(_l("Municipalities"), coerce=int, choices=[])

    role: str | None = None
    """The staff member's role, set by the view: a klantmanager must keep at least one."""

    def validate_municipalities(self, field: CheckboxListField) -> None:
        """A klantmanager needs at least one municipality."""
        _municipality_required(field, self.role)


class MunicipalityForm(FlaskForm):
    """Add a municipality by its CBS gemeentecode."""

    code = StringField(
        _l("Municipality code (CBS)"),
        description=_l("4 digits, for example 0405 for Hoorn."),
        validators=[InputRequired(message=_l("Please fill in the municipality code."))],
    )
    name = StringField(
        _l("Name"),
        validators=[InputRequired(message=_l("Please fill in a name.")), Length(max=100)],
    )

    def validate_code(self, field: StringField) -> None:
        """Exactly four digits."""
        field.data = (field.data or "").strip()
        if not re.fullmatch(r"[0-9]{4}", field.data):
            raise ValidationError(_l("A municipality code has exactly 4 digits, for example 0405."))

    def validate_name(self, field: StringField) -> None:
        """Not only spaces."""
        field.data = " ".join((field.data or "").split())
        if not field.data:
            raise ValidationError(_l("Please fill in a name."))


class AuditFilterForm(FlaskForm):
    """The audit log's filters, from the query string (a GET form: no CSRF token needed)."""

    class Meta:
        csrf = False

    actor_type = SelectField(_l("Actor type"), choices=[], validators=[Optional()])
    actor_id = IntegerField(
        _l("Actor id"),
        validators=[Optional(), NumberRange(min=1, max=MAX_ID, message=_l("An id is a whole number from 1."))],
    )
    action = SelectField(_l("Action"), choices=[], validators=[Optional()])
    record_type = StringField(_l("Record type"), validators=[Optional(), Length(max=30)])
    record_id = IntegerField(
        _l("Record id"),
        validators=[Optional(), NumberRange(min=1, max=MAX_ID, message=_l("An id is a whole number from 1."))],
    )
    result = SelectField(_l("Result"), choices=[], validators=[Optional()])
    municipality = SelectField(_l("Municipality"), choices=[], validators=[Optional()])
    date_from = DateField(_l("From"), format="%Y-%m-%d", validators=[Optional(), SaneDate()])
    date_to = DateField(_l("To (inclusive)"), format="%Y-%m-%d", validators=[Optional(), SaneDate()])

    def validate_date_to(self, field: DateField) -> None:
        """The end of the range is not before its start."""
        if field.data and self.date_from.data and field.data < self.date_from.data:
            raise ValidationError(_l("The end date is before the start date."))


class EraseForm(FlaskForm):
    """The confirm step of erasing a newcomer's file."""

    understood = BooleanField(
        _l("I understand that the personal data in this file is erased for good and cannot be restored."),
        validators=[DataRequired(message=_l("Tick the box to confirm."))],
    )
