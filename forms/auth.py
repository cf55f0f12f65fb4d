"""Forms of the newcomer's sign-in."""

from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import InputRequired, ValidationError

from workflows.fields import parse_phone
from workflows.i18n import ascii_digits


class PhoneForm(FlaskForm):
    """Ask for the phone number a code should go to."""

    phone = StringField(
        _l("Your mobile phone number"),
        description=_l("The number you gave your municipality, for example 06 12345678."),
        validators=[InputRequired(message=_l("Please type your phone number."))],
    )

    e164: str = ""

    def validate_phone(self, field: StringField) -> None:
        """Accept any way of writing a valid number; remember it in E.164 form."""
        number = parse_phone(field.data or "")
        if number is None:
            raise ValidationError(_l("Type a valid phone number, for example %(example)s.", example="06 12345678"))
        self.e164 = number


class CodeForm(FlaskForm):
    """Ask for the 6-digit code from the SMS."""

    code = StringField(
        _l("Code from the SMS"),
        description=_l("6 digits"),
        validators=[InputRequired(message=_l("Please type the code from the SMS."))],
    )

    def validate_code(self, field: StringField) -> None:
        """Six digits in any script, spaces allowed."""
        digits = re.sub(r"[\s-]", "", ascii_digits(field.data or ""))
        if not re.fullmatch(r"\d{6}", digits):
            raise ValidationError(_l("The code has 6 digits."))
        field.data = digits


class ConfirmForm(FlaskForm):
    """A form with only a button (and its CSRF token): Continue, Submit, Sign out."""
