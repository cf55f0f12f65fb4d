"""Forms of the newcomer's answers to an appointment ("I will come", "I cannot come") and of their
calendar subscription (make a link, stop it).

The reason for not coming goes into the file's conversation; control characters are taken out of
every request value before a form sees it (``app/params.py``).
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import TextAreaField
from wtforms.validators import DataRequired, Length

MAX_REASON = 500
"""The longest reason for not coming."""


class ActionForm(FlaskForm):
    """A button with nothing to fill in ("I will come", "Make a calendar link", "Stop it"): the CSRF token only."""


class CannotComeForm(FlaskForm):
    """Why the newcomer cannot come: their klantmanager reads it and contacts them."""

    reason = TextAreaField(
        _l("Why can you not come?"),
        description=_l("Only your klantmanager reads this."),
        validators=[
            DataRequired(message=_l("Please write why you cannot come.")),
            Length(max=MAX_REASON, message=_l("Write at most %(max)d characters.")),
        ],
    )
