"""Every SMS the product sends, in one place: each a function of its values, in the current locale.

Each text names the municipality (an SMS that says who sends it does not read like phishing),
holds no personal data, and fits in at most two segments in every shipped language; a test
(tests/app/test_sms_texts.py) composes every registered text in every language with the longest
sample values and counts its segments with the real GSM-7/UCS-2 counter (app/sms/segments.py).

Register a new text with :func:`sms_text`, giving sample values that are as long as real ones get.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from flask_babel import gettext

LONGEST_MUNICIPALITY = "Súdwest-Fryslân"
"""Among the longest Dutch municipality names, and with letters outside GSM-7."""
LONGEST_LINK = "https://intake.example-gemeente.nl/i/" + "x" * 16
"""A 30-character base URL and the longest path a text may carry (links stay under 60)."""


@dataclass(frozen=True)
class SmsText:
    """A registered text: its writer and sample values for the segment test."""

    kind: str
    write: Callable[..., str]
    sample: dict[str, str] = field(default_factory=dict)


TEXTS: dict[str, SmsText] = {}


def sms_text(kind: str, **sample: str) -> Callable[[Callable[..., str]], Callable[..., str]]:
    """Register ``write`` as the text of ``kind`` (sample values for the test)."""

    def register(write: Callable[..., str]) -> Callable[..., str]:
        TEXTS[kind] = SmsText(kind, write, {"municipality": LONGEST_MUNICIPALITY, **sample})
        return write

    return register


@sms_text("login_code", code="123456")
def login_code(municipality: str, code: str) -> str:
    """The login code (short: Arabic SMS hold 70 characters a segment)."""
    return gettext(
        "Municipality of %(municipality)s: your code is %(code)s. Valid for 10 minutes. Do not share it.",
        municipality=municipality,
        code=code,
    )


@sms_text("invitation", link=LONGEST_LINK)
def invitation(municipality: str, link: str) -> str:
    """The invitation to start the intake."""
    return gettext(
        "Municipality of %(municipality)s: welcome! Start your intake here: %(link)s",
        municipality=municipality,
        link=link,
    )


@sms_text("intake_returned", link="https://intake.example-gemeente.nl/login")
def intake_returned(municipality: str, link: str) -> str:
    """The intake came back with a question (the question itself is read signed in)."""
    return gettext(
        "Municipality of %(municipality)s: your klantmanager has a question about your intake: %(link)s",
        municipality=municipality,
        link=link,
    )


@sms_text("intake_received")
def intake_received(municipality: str) -> str:
    """The receipt of a sent intake: no link, nothing personal."""
    return gettext("Municipality of %(municipality)s: we received your intake. Thank you!", municipality=municipality)


SHORT_MESSAGES_LINK = "https://intake.example-gemeente.nl/m"
"""The link to the conversation (``/m``): the same for everyone, no token; signing in shows the messages."""


@sms_text("conversation_message", link=SHORT_MESSAGES_LINK)
def conversation_message(municipality: str, link: str) -> str:
    """A new message from the klantmanager, without its text (it may be personal): read it signed in."""
    return gettext(
        "Municipality of %(municipality)s: you have a message from your klantmanager: %(link)s",
        municipality=municipality,
        link=link,
    )


@sms_text(
    "conversation_question",
    question="Do you have a diploma from your country? Please bring it.",
    link=SHORT_MESSAGES_LINK,
)
def conversation_question(municipality: str, question: str, link: str) -> str:
    """A common question (app/conversation/common_questions.py, never free text), in the newcomer's language.

    Sent only when it fits two segments (``app.conversation.services.notify`` checks each time and
    sends :func:`conversation_message` otherwise).
    """
    return gettext(
        "Municipality of %(municipality)s: %(question)s %(link)s",
        municipality=municipality,
        question=question,
        link=link,
    )


# -- appointments (app/appointments/services.py, docs/appointments.md) ---------------------------
# First name at most, what (the type's short name), when (in the newcomer's locale), where (a short
# place and room, or "by phone"), what to bring. Each writer tries the full text first and leaves out
# what to bring, then the place, when a long place name or a long language would need a third
# segment (:func:`fitted`); tests/app/test_appointment_sms.py checks that the full text fits with
# everyday values in every shipped language.

APPOINTMENT_SAMPLE = {
    "name": "Mohammed-Amin",
    "what": "PVT lesson",
    "when": "Tue 13 Oct 10:30",
    "where": "Stadhuis Hoorn, zaal 2.14",
    "bring": "ID, pen",
}
MAX_APPOINTMENT_SEGMENTS = 2


def fitted(*candidates: Callable[[], str]) -> str:
    """The first text that fits :data:`MAX_APPOINTMENT_SEGMENTS` (the last one in any case)."""
    from .segments import count

    text = ""
    for candidate in candidates:
        text = candidate()
        if count(text).count <= MAX_APPOINTMENT_SEGMENTS:
            return text
    return text


@sms_text("appointment_reminder", **APPOINTMENT_SAMPLE)
def appointment_reminder(municipality: str, name: str, what: str, when: str, where: str, bring: str) -> str:
    """A reminder before the appointment, with the two answers it understands (1 and 2)."""
    values = {"municipality": municipality, "name": name, "what": what, "when": when, "where": where}
    return fitted(
        lambda: gettext(
            "Municipality of %(municipality)s: %(name)s, reminder: %(what)s %(when)s, %(where)s. "
            "Bring %(bring)s. Reply 1 if you come, 2 if you cannot.",
            bring=bring,
            **values,
        ),
        lambda: gettext(
            "Municipality of %(municipality)s: %(name)s, reminder: %(what)s %(when)s, %(where)s. "
            "Reply 1 if you come, 2 if you cannot.",
            **values,
        ),
        lambda: gettext(
            "Municipality of %(municipality)s: %(name)s, reminder: %(what)s %(when)s. "
            "Reply 1 if you come, 2 if you cannot.",
            **values,
        ),
        lambda: gettext(
            "Municipality of %(municipality)s: reminder: %(what)s %(when)s. Reply 1 if you come, 2 if you cannot.",
            **values,
        ),
    )


@sms_text("appointment_booked", **APPOINTMENT_SAMPLE)
def appointment_booked(municipality: str, name: str, what: str, when: str, where: str, bring: str) -> str:
    """The booking's confirmation."""
    values = {"municipality": municipality, "name": name, "what": what, "when": when, "where": where}
    return fitted(
        lambda: gettext(
            "Municipality of %(municipality)s: %(name)s, new appointment: %(what)s %(when)s, %(where)s. "
            "Bring %(bring)s. Reply 1 if you come, 2 if you cannot.",
            bring=bring,
            **values,
        ),
        lambda: gettext(
            "Municipality of %(municipality)s: %(name)s, new appointment: %(what)s %(when)s, %(where)s. "
            "Reply 1 if you come, 2 if you cannot.",
            **values,
        ),
        lambda: gettext(
            "Municipality of %(municipality)s: %(name)s, new appointment: %(what)s %(when)s. "
            "Reply 1 if you come, 2 if you cannot.",
            **values,
        ),
        lambda: gettext(
            "Municipality of %(municipality)s: new appointment: %(what)s %(when)s. "
            "Reply 1 if you come, 2 if you cannot.",
            **values,
        ),
    )


@sms_text("appointment_moved", **APPOINTMENT_SAMPLE)
def appointment_moved(municipality: str, name: str, what: str, when: str, where: str, bring: str) -> str:
    """The appointment moved: the new time and place (what to bring has not changed)."""
    values = {"municipality": municipality, "name": name, "what": what, "when": when, "where": where}
    return fitted(
        lambda: gettext(
            "Municipality of %(municipality)s: %(name)s, your %(what)s has moved to %(when)s, %(where)s. "
            "Reply 1 if you come, 2 if you cannot.",
            **values,
        ),
        lambda: gettext(
            "Municipality of %(municipality)s: %(name)s, your %(what)s has moved to %(when)s. "
            "Reply 1 if you come, 2 if you cannot.",
            **values,
        ),
        lambda: gettext(
            "Municipality of %(municipality)s: your %(what)s has moved to %(when)s. "
            "Reply 1 if you come, 2 if you cannot.",
            **values,
        ),
    )


ROUTE_LINK = "https://intake.example-gemeente.nl/r"
"""The short link to the newcomer's route page (``/r``): the same for everyone; signing in shows it."""


@sms_text("appointment_cancelled", name="Mohammed-Amin", what="PVT lesson", when="Tue 13 Oct 10:30", link=ROUTE_LINK)
def appointment_cancelled(municipality: str, name: str, what: str, when: str, link: str) -> str:
    """The appointment does not go ahead (the reason is on the route page, in the newcomer's language)."""
    values = {"municipality": municipality, "name": name, "what": what, "when": when, "link": link}
    return fitted(
        lambda: gettext(
            "Municipality of %(municipality)s: %(name)s, your %(what)s of %(when)s does not go ahead. More: %(link)s",
            **values,
        ),
        lambda: gettext(
            "Municipality of %(municipality)s: your %(what)s of %(when)s does not go ahead. More: %(link)s",
            **values,
        ),
    )


@sms_text("appointment_confirmed_ack", what="PVT lesson", when="Tue 13 Oct 10:30")
def appointment_confirmed_ack(municipality: str, what: str, when: str) -> str:
    """The answer to a reply 1: noted."""
    return gettext(
        "Municipality of %(municipality)s: thank you, we noted that you come to the %(what)s of %(when)s.",
        municipality=municipality,
        what=what,
        when=when,
    )


@sms_text("appointment_cannot_come_ack", what="PVT lesson", when="Tue 13 Oct 10:30")
def appointment_cannot_come_ack(municipality: str, what: str, when: str) -> str:
    """The answer to a reply 2: the klantmanager knows and will contact them."""
    return gettext(
        "Municipality of %(municipality)s: thanks, we told your klantmanager you cannot come to the "
        "%(what)s of %(when)s.",
        municipality=municipality,
        what=what,
        when=when,
    )


# -- answers to incoming SMS (app/sms/inbound.py, docs/sms.md) ------------------------------------
# The keywords are parameters, taken from the table in app/sms/keywords.py in the person's language,
# so that a text never advertises a word the app does not understand.


@sms_text("keyword_help", stop="JOOJI", start="BAŞLA")
def keyword_help(municipality: str, stop: str, start: str) -> str:
    """The answer to HELP: how to stop everything or one category, and how to undo it."""
    return gettext(
        "Municipality of %(municipality)s: send %(stop)s for no more SMS, or %(stop)s 1 (reminders), "
        "2 (surveys) or 3 (notices). %(start)s undoes it.",
        municipality=municipality,
        stop=stop,
        start=start,
    )


@sms_text("keyword_stopped", start="BAŞLA")
def keyword_stopped(municipality: str, start: str) -> str:
    """STOP confirmed: no more SMS, and how to get them again."""
    return gettext(
        "Municipality of %(municipality)s: you will get no more SMS from us. Send %(start)s to get them again.",
        municipality=municipality,
        start=start,
    )


@sms_text("keyword_stopped_category", category="herinneringen aan afspraken", start="BAŞLA", number="1")
def keyword_stopped_category(municipality: str, category: str, start: str, number: str) -> str:
    """STOP for one category confirmed (``category`` is its name in the person's language)."""
    return gettext(
        "Municipality of %(municipality)s: you will get no more %(category)s by SMS. "
        "Send %(start)s %(number)s to get them again.",
        municipality=municipality,
        category=category,
        start=start,
        number=number,
    )


@sms_text("keyword_started", stop="JOOJI")
def keyword_started(municipality: str, stop: str) -> str:
    """START confirmed: SMS again, and how to stop them."""
    return gettext(
        "Municipality of %(municipality)s: you will get our SMS again. Send %(stop)s to stop them.",
        municipality=municipality,
        stop=stop,
    )


@sms_text("keyword_started_category", category="herinneringen aan afspraken", stop="JOOJI", number="1")
def keyword_started_category(municipality: str, category: str, stop: str, number: str) -> str:
    """START for one category confirmed."""
    return gettext(
        "Municipality of %(municipality)s: you will get %(category)s by SMS again. "
        "Send %(stop)s %(number)s to stop them.",
        municipality=municipality,
        category=category,
        stop=stop,
        number=number,
    )


@sms_text("inbound_ack")
def inbound_ack(municipality: str) -> str:
    """The one automatic answer a day to a message for the klantmanager (it never repeats the message)."""
    return gettext(
        "Municipality of %(municipality)s: thank you, we received your message. We will answer as soon as we can.",
        municipality=municipality,
    )


UNKNOWN_NUMBER_SENDER = "Inburgering intake"
"""Who answers a number nobody knows: the service, since no municipality can be named."""


@sms_text("unknown_number_reply", municipality=UNKNOWN_NUMBER_SENDER)
def unknown_number_reply(municipality: str) -> str:
    """The answer to a number nobody knows, in Dutch and in English at once (whatever the locale).

    ``municipality`` is the sender's name (:data:`UNKNOWN_NUMBER_SENDER`): nobody knows whose
    municipality it would be.
    """
    from flask_babel import force_locale

    parts = []
    for locale in ("nl", "en"):
        with force_locale(locale):
            parts.append(
                gettext(
                    "%(municipality)s, the SMS service of Dutch municipalities: we do not know your number, "
                    "so nobody reads this. Please contact your municipality.",
                    municipality=municipality,
                )
            )
    return "\n".join(dict.fromkeys(parts))  # once, until the Dutch translation exists


SAME_IN_EVERY_LANGUAGE = frozenset({"unknown_number_reply"})
"""Texts that hold their languages themselves, so they read the same whatever the locale."""


# -- the intake as an SMS conversation (app/intake/sms.py, docs/sms-conversation.md) --------------
# A question's text comes from the definition (workflows/sms.py composes it in the person's language
# and tries ever shorter forms until one fits two segments); here only what goes around it. The
# links are the intake's own address (``/intake``), the same for everyone: signing in shows it.

INTAKE_LINK = "https://intake.example-gemeente.nl/intake"
"""The link to the intake on the web (``/intake``), as long as it gets with a 30-character base."""
SAMPLE_QUESTION = "(12/40) How well can you read in your mother tongue?\n1 Not at all\n2 A little\n3 Good\n4 Very good"


@sms_text("intake_question", question=SAMPLE_QUESTION)
def intake_question(municipality: str, question: str, short: bool = False) -> str:
    """One question of the intake (composed by ``workflows.sms.compose``, which also tries ``short``:
    only the municipality's name in front, when the question needs the room)."""
    if short:
        return f"{municipality}: {question}"
    return gettext("Municipality of %(municipality)s: %(question)s", municipality=municipality, question=question)


@sms_text(
    "intake_help",
    how="Type a date as day-month-year, for example 31-12-1990. Send 0 to skip.",
    back="VORIGE",
    stop="JOOJI",
    link=INTAKE_LINK,
)
def intake_help(municipality: str, how: str, back: str, stop: str, link: str) -> str:
    """The answer to HELP during the conversation: how to answer the current question, go back, stop."""
    values = {"municipality": municipality, "how": how, "back": back, "stop": stop, "link": link}
    return fitted(
        lambda: gettext(
            "Municipality of %(municipality)s: %(how)s Send %(back)s for the previous question, %(stop)s to stop. "
            "Or answer on the web: %(link)s",
            **values,
        ),
        lambda: gettext(
            "Municipality of %(municipality)s: %(how)s Send %(back)s for the previous question, %(stop)s to stop.",
            **values,
        ),
        lambda: gettext("Municipality of %(municipality)s: %(how)s", **values),
    )


@sms_text("intake_to_web", link=INTAKE_LINK)
def intake_to_web(municipality: str, link: str) -> str:
    """After the third answer the question could not take: the web shows the question with its choices."""
    values = {"municipality": municipality, "link": link}
    return fitted(
        lambda: gettext(
            "Municipality of %(municipality)s: this question is easier on the web. Continue your intake here: %(link)s",
            **values,
        ),
        lambda: gettext("Municipality of %(municipality)s: this question is easier on the web: %(link)s", **values),
    )


@sms_text("intake_web_left", link=INTAKE_LINK)
def intake_web_left(municipality: str, link: str) -> str:
    """Every question SMS may ask is answered; the rest (long answers, sensitive ones, privacy) are on the web."""
    values = {"municipality": municipality, "link": link}
    return fitted(
        lambda: gettext(
            "Municipality of %(municipality)s: thank you! The other questions are on the web: %(link)s", **values
        ),
        lambda: gettext("Municipality of %(municipality)s: thank you! The rest is here: %(link)s", **values),
    )


@sms_text("intake_sms_done", link=INTAKE_LINK)
def intake_sms_done(municipality: str, link: str) -> str:
    """Every question is answered: the newcomer checks the answers and sends the intake on the web."""
    values = {"municipality": municipality, "link": link}
    return fitted(
        lambda: gettext(
            "Municipality of %(municipality)s: thank you, you answered every question. Check and send your "
            "intake here: %(link)s",
            **values,
        ),
        lambda: gettext(
            "Municipality of %(municipality)s: thank you! Check and send your intake here: %(link)s", **values
        ),
    )


@sms_text("intake_reminder", link=INTAKE_LINK)
def intake_reminder(municipality: str, link: str) -> str:
    """The one reminder after a week without an answer."""
    values = {"municipality": municipality, "link": link}
    return fitted(
        lambda: gettext(
            "Municipality of %(municipality)s: we are still waiting for your answer to our last question. "
            "Reply to it, or continue on the web: %(link)s",
            **values,
        ),
        lambda: gettext(
            "Municipality of %(municipality)s: please answer our last question by SMS, or here: %(link)s", **values
        ),
        lambda: gettext(
            "Municipality of %(municipality)s: we are still waiting for your answer to our last question.", **values
        ),
    )


# -- the satisfaction surveys (app/surveys/, docs/surveys.md) ---------------------------------------
# The invitation is itself the first question (the mark, answered by reply) and carries the survey's
# single-use link; the other questions come from the definition (workflows/sms.py composes them).

SURVEY_LINK = "https://intake.example-gemeente.nl/s/" + "x" * 22
"""The survey's single-use link (``/s/<token>``), as long as it gets with a 30-character base."""
LONGEST_PARTNER = "Stichting Maatschappelijke Begeleidin..."
"""A partner's name as the survey SMS carry it: cut to 40 characters (app/surveys/sms.py)."""
SAMPLE_SURVEY_QUESTION = "(4/5) Could you use your own language with Taalschool Hoorn?\n1 No\n2 Partly\n3 Yes"
"""A question in its long form; with the longest partner, ``workflows.sms.compose`` picks a shorter one
(tests/app/surveys/test_texts.py composes every question so)."""


@sms_text("survey_invitation", partner=LONGEST_PARTNER, link=SURVEY_LINK)
def survey_invitation(municipality: str, partner: str, link: str) -> str:
    """The invitation: how would you rate the partner, answered by reply (a mark) or on the web."""
    values = {"municipality": municipality, "partner": partner, "link": link}
    return fitted(
        lambda: gettext(
            "Municipality of %(municipality)s: how would you rate %(partner)s? Reply with a mark from 1 to 10, "
            "or answer here: %(link)s",
            **values,
        ),
        lambda: gettext(
            "Municipality of %(municipality)s: rate %(partner)s. Reply with a mark from 1 to 10: %(link)s", **values
        ),
        lambda: gettext("Municipality of %(municipality)s: reply with a mark from 1 to 10, or: %(link)s", **values),
        lambda: gettext("Municipality of %(municipality)s: your mark (1-10)? %(link)s", **values),
    )


@sms_text("survey_reminder", partner=LONGEST_PARTNER, link=SURVEY_LINK)
def survey_reminder(municipality: str, partner: str, link: str) -> str:
    """The one reminder, three days after the invitation, when nothing was answered."""
    values = {"municipality": municipality, "partner": partner, "link": link}
    return fitted(
        lambda: gettext(
            "Municipality of %(municipality)s: we would still like to know how you rate %(partner)s. Reply with "
            "a mark from 1 to 10, or answer here: %(link)s",
            **values,
        ),
        lambda: gettext(
            "Municipality of %(municipality)s: a reminder: reply with a mark from 1 to 10, or: %(link)s", **values
        ),
        lambda: gettext("Municipality of %(municipality)s: your mark (1-10)? %(link)s", **values),
    )


@sms_text("survey_question", question=SAMPLE_SURVEY_QUESTION)
def survey_question(municipality: str, question: str, short: bool = False) -> str:
    """One more question of the survey (composed by ``workflows.sms.compose``, which also tries
    ``short``: only the municipality's name in front)."""
    if short:
        return f"{municipality}: {question}"
    return gettext("Municipality of %(municipality)s: %(question)s", municipality=municipality, question=question)


@sms_text("survey_help", how="Choose a mark from 1 to 10.", stop="JOOJI")
def survey_help(municipality: str, how: str, stop: str) -> str:
    """The answer to HELP while a survey question waits."""
    values = {"municipality": municipality, "how": how, "stop": stop}
    return fitted(
        lambda: gettext(
            "Municipality of %(municipality)s: %(how)s Answering is voluntary. Send %(stop)s to stop.", **values
        ),
        lambda: gettext("Municipality of %(municipality)s: %(how)s", **values),
    )


@sms_text("survey_stopped")
def survey_stopped(municipality: str) -> str:
    """After a second answer the survey could not read: no more questions by SMS (the link still works)."""
    return gettext(
        "Municipality of %(municipality)s: sorry, we did not understand. You can still answer with the link in "
        "our first message.",
        municipality=municipality,
    )


@sms_text("survey_thanks")
def survey_thanks(municipality: str) -> str:
    """Every question is answered."""
    return gettext("Municipality of %(municipality)s: thank you for your answers!", municipality=municipality)
