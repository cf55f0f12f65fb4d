"""Back-office forms for the route and PIP: one version of the PIP, and an extension of the term.

The codes are DUO's (PIP API: leerroute B/Z/O, niveau A2/B1, alfabetisering A/AA/NVT); the labels
are what staff read. DUO's rules that combine fields (A2 never with the onderwijsroute, ...) are
checked by ``app.backoffice.pip_services.check_pip``, which puts its messages on these fields.
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, RadioField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional, ValidationError

from .dates import SaneDate

LEARNABILITY_CHOICES = (
    SelectChoice("feasible", _l("B1 feasible")),
    SelectChoice("not_feasible", _l("B1 not feasible")),
    SelectChoice("unknown", _l("Unknown")),
)
LEERROUTE_CHOICES = (
    SelectChoice("B", _l("B1-route")),
    SelectChoice("Z", _l("Z-route (self-reliance)")),
    SelectChoice("O", _l("Onderwijsroute (education)")),
)
LEVEL_CHOICES = (SelectChoice("A2", "A2"), SelectChoice("B1", "B1"))
LITERACY_CHOICES = (
    SelectChoice("NVT", _l("Not applicable")),
    SelectChoice("A", _l("A: for people who cannot read or write")),
    SelectChoice("AA", _l("AA: for people who read and write another script")),
)
EXTENDED_CHOICES = (
    SelectChoice("", _l("Not decided yet")),
    SelectChoice("yes", _l("Yes")),
    SelectChoice("no", _l("No")),
)
EXTENSION_REASON_CHOICES = (
    SelectChoice("illness", _l("Illness")),
    SelectChoice("birth", _l("Birth of a child")),
    SelectChoice("death_of_relative", _l("Death of a close relative")),
    SelectChoice("special", _l("Special circumstances")),
)
MAX_EXTENSION_DAYS = 1096
"""At most the length of the term itself: a longer number is a typing error."""


def _whole_number(text: str | None, low: int, high: int) -> int | None:
    """``text`` as a whole number from ``low`` to ``high``; None when empty; ValueError otherwise."""
    text = (text or "").strip()
    if not text:
        return None
    if not text.isdecimal():  # digits only (any script): no signs, no underscores
        raise ValueError(text)
    value = int(text)
    if not low <= value <= high:
        raise ValueError(text)
    return value


class PipForm(FlaskForm):
    """One version of the PIP: learnability, route, level, literacy, date and the parts."""

    learnability_result = RadioField(
        _l("Result of the learnability test"),
        choices=LEARNABILITY_CHOICES,
        invalid_choice_message=_l("Choose the result of the learnability test."),
    )
    learnability_score = StringField(_l("Score (optional)"), description=_l("A whole number from 0 to 100."))
    leerroute = RadioField(
        _l("Learning route"), choices=LEERROUTE_CHOICES, invalid_choice_message=_l("Choose a learning route.")
    )
    level = RadioField(_l("Level"), choices=LEVEL_CHOICES, invalid_choice_message=_l("Choose a level."))
    literacy = RadioField(
        _l("Literacy education"),
        choices=LITERACY_CHOICES,
        default="NVT",
        invalid_choice_message=_l("Choose whether literacy education is part of the route."),
    )
    pip_on = DateField(
        _l("PIP date"),
        description=_l("The date on the PIP decision. The integration term starts the day after."),
        validators=[InputRequired(message=_l("Fill in the PIP date.")), SaneDate()],
        format="%Y-%m-%d",
    )
    knm = BooleanField(_l("KNM (knowledge of Dutch society)"), default=True)
    pvt = BooleanField(_l("PVT (participation statement)"), default=True)
    map = BooleanField(
        _l("MAP (labour market and participation module)"),
        description=_l("Not part of the onderwijsroute."),
        default=True,
    )
    z_participation = BooleanField(_l("Participation in the Z-route"), description=_l("Only in the Z-route."))
    social_guidance = BooleanField(_l("Maatschappelijke begeleiding (social guidance)"))
    financial_relief_on = DateField(
        _l("Financieel ontzorgen: start date (optional)"), validators=[Optional(), SaneDate()], format="%Y-%m-%d"
    )
    financial_relief_extended = RadioField(
        _l("Financieel ontzorgen extended after six months"),
        choices=EXTENDED_CHOICES,
        default="",
        invalid_choice_message=_l("Choose yes, no or not decided yet."),
    )
    b1_hours_estimate = StringField(
        _l("Estimated hours for the B1-route (optional)"),
        description=_l("Language course and KNM together, 1 to 9999. DUO asks it for statushouders only."),
    )
    may_finish_education = RadioField(
        _l("May finish the education they follow now before the route starts"),
        choices=EXTENDED_CHOICES,
        default="",
        invalid_choice_message=_l("Choose yes, no or not decided yet."),
    )
    comment = TextAreaField(
        _l("Comment (optional)"),
        validators=[Optional(), Length(max=2000, message=_l("Write at most %(max)d characters."))],
    )
    save_anyway = BooleanField(_l("I have checked the warnings: save the PIP anyway"))

    def validate_b1_hours_estimate(self, field: StringField) -> None:
        """Empty, or a whole number from 1 to 9999 (DUO's bounds)."""
        try:
            _whole_number(field.data, 1, 9999)
        except ValueError:
            raise ValidationError(_l("Type a whole number from 1 to 9999.")) from None

    def validate_learnability_score(self, field: StringField) -> None:
        """Empty, or a whole number from 0 to 100."""
        try:
            _whole_number(field.data, 0, 100)
        except ValueError:
            raise ValidationError(_l("Type a whole number from 0 to 100.")) from None

    def validate_financial_relief_extended(self, field: RadioField) -> None:
        """An extension needs a start."""
        if field.data and self.financial_relief_on.data is None and not self.financial_relief_on.errors:
            raise ValidationError(_l("Fill in the start date of financieel ontzorgen first."))

    def values(self) -> dict[str, Any]:
        """The cleaned values, named as the PIP's columns (call after a successful validation)."""
        return {
            "learnability_result": self.learnability_result.data,
            "learnability_score": _whole_number(self.learnability_score.data, 0, 100),
            "leerroute": self.leerroute.data,
            "level": self.level.data,
            "literacy": self.literacy.data,
            "pip_on": self.pip_on.data,
            "knm": bool(self.knm.data),
            "pvt": bool(self.pvt.data),
            "map": bool(self.map.data),
            "z_participation": bool(self.z_participation.data),
            "social_guidance": bool(self.social_guidance.data),
            "financial_relief_on": self.financial_relief_on.data,
            "financial_relief_extended": {"yes": True, "no": False}.get(self.financial_relief_extended.data or ""),
            "b1_hours_estimate": _whole_number(self.b1_hours_estimate.data, 1, 9999),
            "may_finish_education": {"yes": True, "no": False}.get(self.may_finish_education.data or ""),
            "comment": (self.comment.data or "").strip() or None,
        }


def pip_form_data(pip: Any) -> dict[str, Any]:
    """The form's initial data from a stored PIP version (any object with the PIP's attributes)."""
    score = pip.learnability_score
    extended = pip.financial_relief_extended
    hours = getattr(pip, "b1_hours_estimate", None)
    may_finish = getattr(pip, "may_finish_education", None)
    return {
        "learnability_result": pip.learnability_result,
        "learnability_score": "" if score is None else str(score),
        "leerroute": pip.leerroute,
        "level": pip.level,
        "literacy": pip.literacy,
        "pip_on": pip.pip_on,
        "knm": pip.knm,
        "pvt": pip.pvt,
        "map": pip.map,
        "z_participation": pip.z_participation,
        "social_guidance": pip.social_guidance,
        "financial_relief_on": pip.financial_relief_on,
        "financial_relief_extended": "" if extended is None else ("yes" if extended else "no"),
        "b1_hours_estimate": "" if hours is None else str(hours),
        "may_finish_education": "" if may_finish is None else ("yes" if may_finish else "no"),
        "comment": pip.comment or "",
    }


class TermExtensionForm(FlaskForm):
    """An extension of the integration term decided by DUO."""

    reason = SelectField(_l("Reason"), choices=EXTENSION_REASON_CHOICES, invalid_choice_message=_l("Choose a reason."))
    days = StringField(_l("Number of days"), validators=[InputRequired(message=_l("Fill in the number of days."))])
    decided_on = DateField(
        _l("Date of DUO's decision"),
        validators=[InputRequired(message=_l("Fill in the date of DUO's decision.")), SaneDate()],
        format="%Y-%m-%d",
    )

    def validate_days(self, field: StringField) -> None:
        """A whole number of days, at least one and at most the length of the term."""
        try:
            _whole_number(field.data, 1, MAX_EXTENSION_DAYS)
        except ValueError:
            raise ValidationError(
                _l("Type a whole number of days from 1 to %(max)s.", max=MAX_EXTENSION_DAYS)
            ) from None

    @property
    def day_count(self) -> int:
        """The number of days as a number (after a successful validation)."""
        return _whole_number(self.days.data, 1, MAX_EXTENSION_DAYS) or 0
