"""The questions a klantmanager asks most during the brede intake, translated into every shipped language.

A message that is one of these is stored as its key (``ConversationMessage.common_question``) and
shown in the reader's language: the newcomer reads it in their own, staff in theirs (Dutch). So a
klantmanager can ask Yonas something in Tigrinya without a translator.

Each is short (the SMS that announces a message may carry it, see ``services.notify``) and says
what to do. ``sensitive`` ones name a topic that others reading a shared phone should not see
(health, money): those never go into an SMS, only "you have a message". Keys are stored: never
rename one; retire it (``retired=True``) and add a new key instead.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l


@dataclass(frozen=True)
class CommonQuestion:
    """One common question: its stored key, its text (a msgid), and whether its topic is sensitive."""

    key: str
    text: LazyString
    sensitive: bool = False
    retired: bool = False
    """Not offered any more, but still shown in the threads that hold it."""


QUESTIONS: dict[str, CommonQuestion] = {
    q.key: q
    for q in (
        CommonQuestion("check_phone", _l("Please check your phone number in your intake.")),
        CommonQuestion("bring_diploma", _l("Do you have a diploma from your country? Please bring it.")),
        CommonQuestion("days_available", _l("Which days can you come to the town hall?")),
        CommonQuestion("bring_id", _l("Please bring your residence permit to the appointment.")),
        CommonQuestion("school_years", _l("How many years did you go to school?")),
        CommonQuestion("work_before", _l("What work did you do before you came here?")),
        CommonQuestion("interpreter", _l("Do you need an interpreter? For which language?")),
        CommonQuestion("childcare", _l("Do you need childcare to go to language lessons?")),
        CommonQuestion("health_again", _l("Please answer the question about your health again."), sensitive=True),
        CommonQuestion("money_again", _l("Please answer the questions about money again."), sensitive=True),
    )
}
"""Every common question by key, in the order the klantmanager's list offers them."""


def get(key: str | None) -> CommonQuestion | None:
    """The common question with this key, or ``None`` (no key, or one this version does not know)."""
    return QUESTIONS.get(key) if key else None


def offered() -> list[CommonQuestion]:
    """The questions a klantmanager can choose from now."""
    return [q for q in QUESTIONS.values() if not q.retired]


def text(key: str | None) -> str:
    """A common question in the current language (an unknown key reads as an empty string)."""
    question = get(key)
    return str(question.text) if question is not None else ""
