"""The forms of the records behind the reports: end of the file, financieel ontzorgen, participation,
household members, route partners, the MAP exemption date, the nareiziger flag, and complaints.

Every date has the bounds of every staff date (``forms.dates.SaneDate``: not before 2021-01-01, not
more than a year ahead), except a birth year; an end is never before its start. Text is cleaned of
control and bidi characters (``params.clean_text``) before it is kept.
"""

from __future__ import annotations

from datetime import date

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    IntegerField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, NumberRange, Optional, ValidationError

from forms.dates import SaneDate, today

from ..models.records import (
    CHILD,
    ELDERLY,
    END_DECEASED,
    END_DISPENSED,
    END_EXEMPTED,
    END_LEFT_COUNTRY,
    END_MOVED_AWAY,
    END_OTHER,
    END_OTHER_EDUCATION,
    END_PURPOSE_CHANGED,
    FILED_WITH_MUNICIPALITY,
    FILED_WITH_PARTNER,
    OTHER_MEMBER,
    PAID_WORK,
    VOLUNTEER_WORK,
    WORK_PLACEMENT,
    WORK_PLACEMENT_ORIENTATION,
)
from ..params import clean_text

END_REASON_LABELS = {
    END_MOVED_AWAY: _l("Moved to another municipality"),
    END_EXEMPTED: _l("Volledige vrijstelling (exempted)"),
    END_DISPENSED: _l("Volledige ontheffing (dispensed)"),
    END_OTHER_EDUCATION: _l("Other education (e.g. the Internationale Schakelklas)"),
    END_LEFT_COUNTRY: _l("Vertrek uit Nederland langer dan een jaar (left the country)"),
    END_PURPOSE_CHANGED: _l("Verblijfsdoel gewijzigd (purpose of stay changed)"),
    END_DECEASED: _l("Overlijden (deceased)"),
    END_OTHER: _l("Overig (other)"),
}
ACTIVITY_LABELS = {
    WORK_PLACEMENT_ORIENTATION: _l("Oriëntatie op een werkervaringsplaats"),
    WORK_PLACEMENT: _l("Werkervaringsplaats"),
    VOLUNTEER_WORK: _l("Vrijwilligerswerk"),
    PAID_WORK: _l("Betaald werk"),
}
MEMBER_LABELS = {
    CHILD: _l("Child"),
    ELDERLY: _l("Above pension age"),
    OTHER_MEMBER: _l("Other, not obliged"),
}
FILED_WITH_LABELS = {
    FILED_WITH_MUNICIPALITY: _l("The municipality"),
    FILED_WITH_PARTNER: _l("A partner"),
}
EARLIEST_BIRTH_YEAR = 1900


def _choices(labels: dict) -> list[SelectChoice]:
    return [SelectChoice(value, label) for value, label in labels.items()]


def _text(value: object) -> object:
    """A text value cleaned of control and bidi characters, outer spaces gone."""
    return clean_text(value).strip() if isinstance(value, str) else value


def _not_before(field: DateField, start: date | None, message: object) -> None:
    if field.data is not None and start is not None and field.data < start:
        raise ValidationError(str(message))


def _after(field: DateField, start: date | None, message: object) -> None:
    """Add ``message`` to ``field`` when its date is before ``start`` (cross-field: after validation)."""
    if field.data is not None and start is not None and field.data < start and not field.errors:
        field.errors.append(str(message))


class EndForm(FlaskForm):
    """The end of the file: the date and DUO's reason. Both empty: the file has not ended (undo)."""

    ended_on = DateField(_l("Date the file ended"), format="%Y-%m-%d", validators=[Optional(), SaneDate()])
    end_reason = SelectField(_l("Reason"), choices=[], validate_choice=False)

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.end_reason.choices = [SelectChoice("", _l("Not ended")), *_choices(END_REASON_LABELS)]

    def validate(self, extra_validators: object = None) -> bool:
        """A reason of the list, given exactly when a date is."""
        ok = super().validate(extra_validators)
        reason = self.end_reason.data or ""
        if reason and reason not in END_REASON_LABELS:
            self.end_reason.errors.append(str(_l("Choose a reason from the list.")))
        elif self.ended_on.data is not None and not reason:
            self.end_reason.errors.append(str(_l("Choose why the file ended.")))
        elif reason and self.ended_on.data is None and not self.ended_on.errors:
            self.ended_on.errors.append(str(_l("Fill in the date the file ended.")))
        return ok and not self.errors


class FactsForm(FlaskForm):
    """Three facts of the file: the obligation met, the MAP exemption's date, nareiziger."""

    obligation_met_on = DateField(
        _l("Date the obligation was met (DUO: inburgeringsplicht voldaan)"),
        format="%Y-%m-%d",
        validators=[Optional(), SaneDate(future_days=0)],
    )
    map_exempt_on = DateField(_l("Date of the MAP exemption"), format="%Y-%m-%d", validators=[Optional(), SaneDate()])
    nareiziger = BooleanField(_l("Nareiziger: came later to join a refugee's household"))


class ReliefForm(FlaskForm):
    """Financieel ontzorgen: start, the six-month date, extension and the date it was decided, end."""

    started_on = DateField(
        _l("Start"),
        format="%Y-%m-%d",
        validators=[InputRequired(message=_l("Fill in the start date.")), SaneDate()],
    )
    six_months_on = DateField(
        _l("Six-month date"),
        description=_l("Leave empty for six months after the start."),
        format="%Y-%m-%d",
        validators=[Optional(), SaneDate()],
    )
    extended = BooleanField(_l("Extended after six months"))
    extension_decided_on = DateField(
        _l("Date the extension was decided"), format="%Y-%m-%d", validators=[Optional(), SaneDate()]
    )
    ended_on = DateField(_l("End"), format="%Y-%m-%d", validators=[Optional(), SaneDate()])

    def validate(self, extra_validators: object = None) -> bool:
        """Nothing before the start; an extension counts only with the date it was decided."""
        ok = super().validate(extra_validators)
        start = self.started_on.data
        _after(self.six_months_on, start, _l("The six-month date cannot be before the start."))
        _after(self.ended_on, start, _l("The end cannot be before the start."))
        decided = self.extension_decided_on
        if self.extended.data and decided.data is None and not decided.errors:
            decided.errors.append(str(_l("Fill in the date the extension was decided.")))
        elif not self.extended.data and decided.data is not None:
            decided.errors.append(str(_l("Tick extended, or leave this date empty.")))
        else:
            _after(decided, start, _l("The extension cannot be decided before the start."))
        return ok and not self.errors


class ActivityForm(FlaskForm):
    """A participation activity of one of four kinds."""

    kind = RadioField(
        _l("Kind of activity"),
        choices=_choices(ACTIVITY_LABELS),
        validators=[InputRequired(message=_l("Choose the kind of activity."))],
        invalid_choice_message=_l("Choose the kind of activity."),
    )
    started_on = DateField(
        _l("Start"),
        format="%Y-%m-%d",
        validators=[InputRequired(message=_l("Fill in the start date.")), SaneDate()],
    )
    ended_on = DateField(_l("End"), format="%Y-%m-%d", validators=[Optional(), SaneDate()])
    partner = SelectField(_l("Partner"), choices=[], coerce=str, validate_choice=False)
    hours_per_week = IntegerField(
        _l("Hours a week"),
        validators=[Optional(), NumberRange(min=1, max=80, message=_l("Fill in a number of hours from 1 to 80."))],
    )

    partner_ids: set[int]

    def validate_ended_on(self, field: DateField) -> None:
        _not_before(field, self.started_on.data, _l("The end cannot be before the start."))

    def validate_partner(self, field: SelectField) -> None:
        if field.data and (not field.data.isdigit() or int(field.data) not in self.partner_ids):
            raise ValidationError(_l("Choose a partner from the list."))


class HouseholdForm(FlaskForm):
    """A housed household member who is not obliged: no name, only what the report counts."""

    kind = RadioField(
        _l("Who"),
        choices=_choices(MEMBER_LABELS),
        validators=[InputRequired(message=_l("Choose who this is."))],
        invalid_choice_message=_l("Choose who this is."),
    )
    birth_year = IntegerField(_l("Year of birth"), validators=[Optional()])
    housed_on = DateField(
        _l("Date housed"),
        format="%Y-%m-%d",
        validators=[InputRequired(message=_l("Fill in the date housed.")), SaneDate()],
    )
    nareiziger = BooleanField(_l("Nareiziger: came later to join the household"))

    def validate_birth_year(self, field: IntegerField) -> None:
        if field.data is not None and not EARLIEST_BIRTH_YEAR <= field.data <= today().year:
            raise ValidationError(
                str(_l("Fill in a year from %(low)s to %(high)s.", low=EARLIEST_BIRTH_YEAR, high=today().year))
            )


class RoutePartnerForm(FlaskForm):
    """Which partner serves this person for the partner's kind, from a date."""

    partner = SelectField(
        _l("Partner"),
        choices=[],
        coerce=str,
        validate_choice=False,
        validators=[InputRequired(message=_l("Choose a partner."))],
    )
    started_on = DateField(
        _l("From"),
        format="%Y-%m-%d",
        validators=[InputRequired(message=_l("Fill in the date from which the partner serves."))],
    )

    partner_ids: set[int]

    def validate_partner(self, field: SelectField) -> None:
        if not field.data.isdigit() or int(field.data) not in self.partner_ids:
            raise ValidationError(_l("Choose a partner from the list."))

    def validate_started_on(self, field: DateField) -> None:
        SaneDate()(self, field)


class ComplaintForm(FlaskForm):
    """One entry of the complaints register (no personal details in the subject)."""

    received_on = DateField(
        _l("Date received"),
        format="%Y-%m-%d",
        validators=[InputRequired(message=_l("Fill in the date received.")), SaneDate(future_days=0)],
    )
    municipality = SelectField(_l("Municipality"), choices=[], coerce=str, validate_choice=False)
    official = RadioField(
        _l("Kind"),
        choices=[
            SelectChoice("yes", _l("Official complaint (under the complaints rules)")),
            SelectChoice("no", _l("Informal signal")),
        ],
        validators=[InputRequired(message=_l("Choose official or informal."))],
        invalid_choice_message=_l("Choose official or informal."),
    )
    about_inburgering = BooleanField(_l("About inburgering"), default=True)
    filed_with = RadioField(
        _l("Filed with"),
        choices=_choices(FILED_WITH_LABELS),
        validators=[InputRequired(message=_l("Choose where it was filed."))],
        invalid_choice_message=_l("Choose where it was filed."),
    )
    partner = SelectField(_l("Partner"), choices=[], coerce=str, validate_choice=False)
    subject = StringField(
        _l("What it is about"),
        description=_l("A few words, no names or other personal details."),
        filters=[_text],
        validators=[
            InputRequired(message=_l("Write what the complaint is about.")),
            Length(max=200, message=_l("At most 200 characters.")),
        ],
    )
    newcomer = StringField(
        _l("File number (optional)"),
        description=_l("The number of the newcomer's file, when the complaint is about one."),
        filters=[_text],
    )
    handled_on = DateField(_l("Date handled"), format="%Y-%m-%d", validators=[Optional(), SaneDate(future_days=0)])
    outcome = TextAreaField(
        _l("Outcome"),
        filters=[_text],
        validators=[Optional(), Length(max=2000, message=_l("At most 2000 characters."))],
    )

    partner_ids: set[int]
    municipality_ids: set[int]

    def validate_municipality(self, field: SelectField) -> None:
        if not field.data.isdigit() or int(field.data) not in self.municipality_ids:
            raise ValidationError(_l("Choose a municipality from the list."))

    def validate_subject(self, field: StringField) -> None:
        if not (field.data or "").strip():
            raise ValidationError(_l("Write what the complaint is about."))

    def validate_partner(self, field: SelectField) -> None:
        if field.data and (not field.data.isdigit() or int(field.data) not in self.partner_ids):
            raise ValidationError(_l("Choose a partner from the list."))
        if self.filed_with.data == FILED_WITH_PARTNER and not field.data:
            raise ValidationError(_l("Choose the partner it was filed with."))

    def validate_newcomer(self, field: StringField) -> None:
        if field.data and not (field.data.isascii() and field.data.isdigit() and len(field.data) <= 10):
            raise ValidationError(_l("Fill in the file number (digits only), or leave it empty."))

    def validate_handled_on(self, field: DateField) -> None:
        _not_before(field, self.received_on.data, _l("It cannot be handled before it was received."))


class ConfirmDeleteForm(FlaskForm):
    """A confirmed delete: the CSRF token and the id of what goes."""

    item = StringField()
