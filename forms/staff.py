"""Forms of staff sign-in and account management."""

from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, StringField
from wtforms.validators import EqualTo, InputRequired, Length, ValidationError

from workflows.i18n import ascii_digits

MIN_PASSWORD = 12


class StaffLoginForm(FlaskForm):
    """E-mail address and password."""

    email = EmailField(
        _l("E-mail address"), validators=[InputRequired(message=_l("Please fill in your e-mail address."))]
    )
    password = PasswordField(_l("Password"), validators=[InputRequired(message=_l("Please fill in your password."))])


class SecondFactorForm(FlaskForm):
    """A 6-digit code from the authenticator app, or a recovery code."""

    code = StringField(
        _l("Code from your authenticator app, or a recovery code"),
        validators=[InputRequired(message=_l("Please fill in a code.")), Length(max=20)],
    )

    def validate_code(self, field: StringField) -> None:
        """Six digits (spaces allowed) or a recovery code like 1a2b3c-4d5e6f."""
        value = re.sub(r"\s", "", ascii_digits(field.data or "")).lower()
        if not (re.fullmatch(r"[0-9]{6}", value) or re.fullmatch(r"[0-9a-f]{6}-[0-9a-f]{6}", value)):
            raise ValidationError(_l("A code has 6 digits; a recovery code looks like 1a2b3c-4d5e6f."))
        field.data = value


class NewPasswordForm(FlaskForm):
    """Choose a new password (twice)."""

    password = PasswordField(
        _l("New password"),
        description=_l(
            "At least %(count)s characters. A sentence of a few words is easy to remember.", count=MIN_PASSWORD
        ),
        validators=[
            InputRequired(message=_l("Please choose a password.")),
            Length(min=MIN_PASSWORD, max=200, message=_l("Use at least %(count)s characters.", count=MIN_PASSWORD)),
        ],
    )
    confirm = PasswordField(
        _l("New password again"),
        validators=[EqualTo("password", message=_l("The two passwords are not the same."))],
    )
