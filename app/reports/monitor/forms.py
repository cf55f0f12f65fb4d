"""The monitor's choices: a reference date and what to show (a region or one municipality)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, SelectField
from wtforms.validators import Optional

from forms.dates import SaneDate


class MonitorForm(FlaskForm):
    """From the query string (a GET form: no CSRF token); an empty date is today."""

    class Meta:
        csrf = False

    on = DateField(
        _l("Reference date"),
        format="%Y-%m-%d",
        description=_l("Everything is counted as it stood at the end of this day."),
        validators=[Optional(), SaneDate()],
    )
    scope = SelectField(_l("Municipality or region"), choices=[], validate_choice=True, validators=[Optional()])
