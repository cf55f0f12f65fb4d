"""Labels of the back office's codes, translatable (staff read them in Dutch by default)."""

from babel import Locale, UnknownLocaleError
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l

from ..i18n import BY_CODE, DEFAULT, LANGUAGES, Language
from ..models import casefile

STATUS = {
    casefile.REGISTERED: _l("Registered"),
    casefile.INVITED: _l("Invited"),
    casefile.INTAKE_IN_PROGRESS: _l("Intake in progress"),
    casefile.INTAKE_SUBMITTED: _l("Intake submitted"),
    casefile.RETURNED: _l("Returned with a question"),
    casefile.INTAKE_APPROVED: _l("Intake approved"),
    casefile.PIP_SET: _l("PIP set"),
    casefile.IN_ROUTE: _l("In route"),
    casefile.OBLIGATION_MET: _l("Met the obligation"),
    casefile.EXEMPTED: _l("Exempted"),
    casefile.DISPENSATION: _l("Dispensation"),
    casefile.MOVED_AWAY: _l("Moved away"),
    casefile.ENDED: _l("Ended"),
}
DOELGROEP = {"statushouder": _l("Statushouder"), "gezinsmigrant_overig": _l("Family migrant or other")}
ROLE = {"klantmanager": _l("Klantmanager"), "beleidsmedewerker": _l("Policy officer"), "beheerder": _l("Administrator")}
MANUAL_STATUSES = (
    casefile.IN_ROUTE, casefile.OBLIGATION_MET, casefile.EXEMPTED, casefile.DISPENSATION, casefile.MOVED_AWAY,
    casefile.ENDED,
)  # fmt: skip
"""Statuses a klantmanager sets by hand; the others follow from what happens to the file."""
BEFORE_PIP = (
    casefile.REGISTERED, casefile.INVITED, casefile.INTAKE_IN_PROGRESS, casefile.INTAKE_SUBMITTED, casefile.RETURNED,
    casefile.INTAKE_APPROVED,
)  # fmt: skip
"""Statuses in which the 10-week PIP deadline is still running."""


def language_label(code: str | None) -> str:
    """A language as staff read it: its name in the staff member's language, then its own name.

    "Tigrinya (ትግርኛ)" on an English page, "Perzisch (فارسی)" on a Dutch one; a language's own
    name alone when the two are the same ("Nederlands" on a Dutch page). Staff may not read the
    script of a language, so its own name alone is easily mistaken for another.
    """
    if not code:
        return ""
    own = BY_CODE[code].name if code in BY_CODE else code
    try:
        here = Locale.parse(code).get_display_name(str(get_locale() or DEFAULT)) or own
    except (ValueError, TypeError, UnknownLocaleError):
        return own
    here = here[:1].upper() + here[1:]
    return here if here.casefold() == own.casefold() else f"{here} ({own})"


def staff_languages() -> list[Language]:
    """The shipped languages, each named by :func:`language_label` (for choices and filters)."""
    return [Language(language.code, language_label(language.code), language.direction) for language in LANGUAGES]
