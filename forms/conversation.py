"""Forms of the conversation on a file: the klantmanager's message (or returned-intake question), the newcomer's answer.

The choices (the common questions in the reader's language, the shipped languages) are filled in
by the view, as elsewhere in the back office.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import Field, SelectField, TextAreaField
from wtforms.validators import DataRequired, Length

MAX_BODY = 1000
"""The longest message, either way."""
TOO_LONG = _l("Write at most %(max)d characters.")


class MessageFields(FlaskForm):
    """A common question, or free text labelled with the language it is written in (not both).

    Subclasses add the free-text field and name it in :attr:`text_field`.
    """

    text_field = "body"
    common_question = SelectField(
        _l("A common question"),
        description=_l("The newcomer reads it in their own language."),
        choices=[],
        default="",
    )
    language = SelectField(_l("Language of your text"), choices=[], default="nl")

    @property
    def text(self) -> Field:
        """The free-text field."""
        return self[self.text_field]

    def validate(self, extra_validators: dict | None = None) -> bool:
        """The fields' own rules, then: exactly one of a common question and a text."""
        valid = super().validate(extra_validators)
        if self.text.errors:
            return False
        text = (self.text.data or "").strip()
        if not self.common_question.data and not text:
            self.text.errors = [*self.text.errors, _l("Choose a common question or write your message.")]
            return False
        if self.common_question.data and text:
            self.text.errors = [
                *self.text.errors,
                _l("Choose a common question or write your own message, not both."),
            ]
            return False
        return valid


class MessageForm(MessageFields):
    """The klantmanager writes to the newcomer from the file."""

    body = TextAreaField(
        _l("Or write your own message"),
        description=_l("Plain language, short sentences. It is not put in the SMS: the SMS says there is a message."),
        validators=[Length(max=MAX_BODY, message=TOO_LONG)],
    )


class ReplyForm(FlaskForm):
    """The newcomer answers."""

    body = TextAreaField(
        _l("Your answer"),
        validators=[
            DataRequired(message=_l("Please write your answer.")),
            Length(max=MAX_BODY, message=TOO_LONG),
        ],
    )
