"""The intake as a web chat: one question at a time (workflows.questions), on the same row as the form.

The page is the conversation so far, derived from the stored progress (never kept in the session):
each done question as the assistant's message and its answer as the newcomer's, a step's title,
intro and "why we ask" before its first question, then the question asked now and the composer to
answer it. Without JavaScript every turn is a POST and a redirect (PRG). With JavaScript
(``static/chat.js``) the same POSTs go with ``fetch()`` and the header ``X-Requested-With: fetch``;
they are answered with JSON holding rendered fragments: ``log`` (messages to append to the log),
``composer`` (the new composer), ``title``; or ``redirect`` (a URL to go to instead).

The messages of a turn are the same in both modes: what the page shows after a redirect is what the
script appends, so the log only ever grows.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field, replace
from typing import Any

from flask import flash, jsonify, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user

from workflows import questions
from workflows.engine import ANSWERED, CHAT, Progress
from workflows.fields import Field, Option
from workflows.i18n import Context, native_digits
from workflows.model import Step, Workflow

from ..i18n import current_language
from ..models import Filling
from . import bp, services
from .routes import klantmanager_question

MAX_BUTTONS = 12
"""Choices with more options than this are a list to pick from (with type-to-filter), not buttons."""
MAX_KEPT = 4000
"""A refused answer is given back in the input up to this many characters."""
MAX_ECHO = 300
"""A refused answer is repeated in its message up to this many characters."""
MAX_RAW = 300
"""An answer is cut after this many characters (or the field's own maximum, when larger) before the
field reads it: longer is refused all the same, and a parser never spends its time on a huge one."""
MAX_PICKS = 100
"""At most this many boxes of a multiple choice are read."""


@dataclass(frozen=True)
class Message:
    """One entry of the conversation, as ``intake/_chat_messages.html`` renders it.

    ``kind``: ``step`` (a step's title), ``intro``, ``why``, ``note`` (the assistant's plain text),
    ``question`` (the assistant asks ``field``), ``reply`` (the newcomer's answer to ``field``),
    ``error`` (a refused answer's message, with the question again), ``done`` (nothing left).
    """

    kind: str
    text: str = ""
    help: str = ""
    field: Field | None = None
    anchor: str = ""
    """The element's id, where it has one (the first message of the question asked now)."""
    refused: bool = False
    ident: str = ""
    """Ids of a question (``<ident>-text``) or an error message (``<ident>``, ``<ident>-text``)."""


@dataclass(frozen=True)
class Refusal:
    """A refused answer: its message, the raw answer kept for the input, and the ids to point at."""

    message: str
    kept: Any
    ident: str = field(default_factory=lambda: "e-" + secrets.token_hex(4))


# -- the conversation ------------------------------------------------------------------------------


def _hidden_entirely(f: Field, sensitive: set[str]) -> bool:
    """A sensitive question asked only because of another sensitive answer: its presence would tell
    (the same rule as the newcomer's summary)."""
    return f.sensitive and f.when is not None and bool(f.when.refs() & sensitive)


def _sensitive(workflow: Workflow) -> set[str]:
    return {f.id for _, f in workflow.fields() if f.sensitive}


def _header(step: Step, ctx: Context) -> list[Message]:
    messages = [Message("step", ctx._(step.title))]
    if step.intro:
        messages.append(Message("intro", ctx._(step.intro)))
    if step.why:
        messages.append(Message("why", ctx._(step.why)))
    return messages


def _ask(f: Field, ctx: Context, ident: str = "") -> Message:
    return Message("question", ctx._(f.label), ctx._(f.help) if f.help else "", f, ident=ident)


def answer_text(f: Field, value: Any, ctx: Context) -> str:
    """An answer as the newcomer's own page shows it: a sensitive one only as "Answered"."""
    blank = value in (None, "", [])
    if blank:
        return _("No answer")
    return ctx._(ANSWERED) if f.sensitive else f.display(value, ctx)


def _reply(f: Field, value: Any, ctx: Context) -> Message:
    return Message("reply", answer_text(f, value, ctx), field=f)


def past(workflow: Workflow, progress: Progress, ctx: Context) -> list[Message]:
    """The done questions with their answers, each step introduced before its first one."""
    sensitive = _sensitive(workflow)
    messages: list[Message] = []
    introduced: set[str] = set()
    for step, f in questions.done_questions(workflow, progress):
        if _hidden_entirely(f, sensitive):
            continue
        if step.id not in introduced:
            introduced.add(step.id)
            messages += _header(step, ctx)
        messages += [_ask(f, ctx), _reply(f, progress.answers.get(f.id), ctx)]
    return messages


def now(question: questions.Question | None, ctx: Context) -> list[Message]:
    """What the assistant says before the composer: the step's introduction before its first
    question, the question (a reopened one with a note), or that nothing is left."""
    if question is None:
        return [Message("done", _("You answered all the questions."), anchor="chat-done")]
    f = question.field
    messages: list[Message] = []
    if question.reopened:
        messages.append(Message("note", _("You can change your answer.")))
    elif question.first_of_step:
        messages += _header(question.step, ctx)
    messages.append(_ask(f, ctx, ident=f"q-{f.id}"))
    messages[0] = replace(messages[0], anchor=f"q-{f.id}")
    return messages


def _refused(question: questions.Question, refusal: Refusal, ctx: Context) -> list[Message]:
    """The newcomer's refused answer (not repeated for a sensitive question) and the assistant's
    message with the question again."""
    messages = []
    labels = {option.value: option.label for option in question.field.options(ctx)}
    given = [refusal.kept] if isinstance(refusal.kept, str) else list(refusal.kept)
    kept = ", ".join(labels.get(item, item) for item in given if item.strip()).strip()
    if kept and not question.field.sensitive:
        text = kept if len(kept) <= MAX_ECHO else kept[:MAX_ECHO] + "…"
        messages.append(Message("reply", text, field=question.field, refused=True))
    messages.append(Message("error", refusal.message, ctx._(question.field.label), question.field, ident=refusal.ident))
    return messages


# -- the composer ----------------------------------------------------------------------------------


def _mode(f: Field, options: tuple[Option, ...]) -> str:
    if f.widget == "checkboxes":
        return "checks"
    if f.widget == "select" or len(options) > MAX_BUTTONS:
        return "list"
    if options:
        return "buttons"
    return "textarea" if f.widget == "textarea" else "input"


def composer(
    workflow: Workflow,
    progress: Progress,
    question: questions.Question | None,
    ctx: Context,
    refusal: Refusal | None = None,
) -> dict[str, Any]:
    """The template context of ``intake/_chat_composer.html``."""
    can_back = questions.go_back(workflow, progress, channel=CHAT) != progress
    if question is None:
        return {"q": None, "can_back": can_back}
    f = question.field
    options = f.options(ctx)
    if refusal is not None:
        value = refusal.kept
    elif question.reopened:
        value = f.as_raw(progress.answers.get(f.id))
    else:
        value = [] if f.widget == "checkboxes" else ""
    if f.widget == "checkboxes":
        chosen = list(value) if isinstance(value, list) else [value] if value else []
    else:
        chosen = value[0] if isinstance(value, list) and value else value if isinstance(value, str) else ""
        if len(chosen) > MAX_KEPT:
            chosen = chosen[:MAX_KEPT]
    return {
        "q": question,
        "field": f,
        "options": options,
        "mode": _mode(f, options),
        "value": chosen,
        "label_id": f"{refusal.ident}-text" if refusal else f"q-{f.id}-text",
        "error_id": refusal.ident if refusal else None,
        "can_back": can_back,
        "max_length": getattr(f, "max_length", None),
        "date_example": native_date_example(ctx) if f.widget == "date" else None,
    }


def native_date_example(ctx: Context) -> str:
    """A date as the chat's date input takes it (day-month-year), in the locale's digits."""
    return native_digits("31-12-1990", ctx.locale)


# -- responses -------------------------------------------------------------------------------------


def _wants_json() -> bool:
    if request.headers.get("X-Requested-With") == "fetch":
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return (
        best == "application/json"
        and request.accept_mimetypes["application/json"] > request.accept_mimetypes["text/html"]
    )


def _go(url: str) -> ResponseReturnValue:
    """Go to ``url``: a 303 redirect, or for the script a JSON ``redirect``."""
    if _wants_json():
        return jsonify(redirect=url)
    return redirect(url, code=303)


def _intake() -> Filling:
    return services.start_or_resume(current_user.newcomer)


def _title(question: questions.Question | None, ctx: Context, error: bool) -> str:
    topic = ctx._(question.step.title) if question else _("You answered all the questions.")
    text = _("Chat: %(topic)s", topic=topic)
    return f"{_('Error:')} {text}" if error else text


def _page(intake: Filling, refusal: Refusal | None = None) -> ResponseReturnValue:
    """The whole chat page: the conversation so far, the question asked now, the composer."""
    definition, progress, ctx = services.workflow(intake), services.progress(intake), services.context()
    question = questions.next_question(definition, progress, channel=CHAT)
    log = past(definition, progress, ctx) + now(question, ctx)
    if refusal is not None and question is not None:
        log += _refused(question, refusal, ctx)
    return render_template(
        "intake/chat.html",
        log=log,
        ctx=ctx,
        title=_title(question, ctx, refusal is not None),
        question=klantmanager_question(intake),
        **composer(definition, progress, question, ctx, refusal),
    ), 422 if refusal else 200


def _turn(intake: Filling, messages: list[Message], refusal: Refusal | None = None) -> ResponseReturnValue:
    """The answer to the script: the messages to append, the new composer and the page title."""
    definition, progress, ctx = services.workflow(intake), services.progress(intake), services.context()
    question = questions.next_question(definition, progress, channel=CHAT)
    if refusal is None:
        messages = messages + now(question, ctx)
    elif question is not None:
        messages = messages + _refused(question, refusal, ctx)
    log = render_template("intake/_chat_log.html", log=messages, ctx=ctx)
    parts = render_template(
        "intake/_chat_composer.html", ctx=ctx, **composer(definition, progress, question, ctx, refusal)
    )
    title = f"{_title(question, ctx, refusal is not None)} · {_('Civic integration')}"
    return jsonify(ok=refusal is None, log=log, composer=parts, title=title), 422 if refusal else 200


NOW = "chat-composer"
"""The anchor a turn's redirect scrolls to: the composer (one per page, swapped, never appended).
The same for every question: a fragment naming the question would tell a shared phone's history
that a sensitive answer led to it (#q-debt_help_wanted)."""


def _anchor(intake: Filling) -> str:  # noqa: ARG001 - the same for every intake, on purpose (see NOW)
    return NOW


def _moved(intake: Filling) -> ResponseReturnValue:
    """After going back, reopening or keeping: the question asked now."""
    if _wants_json():
        return _turn(intake, [])
    return redirect(url_for("intake.chat", _anchor=_anchor(intake)), code=303)


def _sent() -> ResponseReturnValue:
    flash(_("You already sent your intake. This change was not saved."), "warning")
    return _go(url_for("intake.done"))


# -- routes ----------------------------------------------------------------------------------------


@bp.get("/chat")
def chat() -> ResponseReturnValue:
    """The conversation so far and the question asked now."""
    intake = _intake()
    if intake.is_submitted:
        return redirect(url_for("intake.done"))
    return _page(intake)


@bp.post("/chat")
def chat_answer() -> ResponseReturnValue:
    """Answer the question asked now (``field_id`` + ``answer``, or ``skip`` for an optional one)."""
    intake = _intake()
    if intake.is_submitted:
        return _sent()
    definition, progress = services.workflow(intake), services.progress(intake)
    question = questions.next_question(definition, progress, channel=CHAT)
    field_id = request.form.get("field_id", "")
    if question is None or field_id != question.field.id:
        flash(_("This question was already answered. Your answer was not saved."), "warning")
        return _go(url_for("intake.chat", _anchor=_anchor(intake)))
    f = question.field
    limit = max(getattr(f, "max_length", 0) or 0, MAX_RAW) + 1
    if request.form.get("skip"):
        raw: Any = [] if f.widget == "checkboxes" else ""
    elif f.widget == "checkboxes":
        raw = [value[:limit] for value in request.form.getlist("answer")[:MAX_PICKS]]
    else:
        raw = request.form.get("answer", "")[:limit]
    ctx = services.context()
    try:
        outcome = services.answer(intake, f.id, raw, channel=CHAT, ctx=ctx, locale=current_language().code)
    except KeyError:  # cannot happen for the question asked now; treated as stale all the same
        flash(_("This question was already answered. Your answer was not saved."), "warning")
        return _go(url_for("intake.chat"))
    if outcome.error is not None:
        refusal = Refusal(outcome.error.text(ctx), raw)
        return _turn(intake, [], refusal) if _wants_json() else _page(intake, refusal)
    if _wants_json():
        return _turn(intake, [_reply(f, outcome.progress.answers.get(f.id), ctx)])
    return redirect(url_for("intake.chat", _anchor=_anchor(intake)), code=303)


@bp.post("/chat/back")
def chat_back() -> ResponseReturnValue:
    """ "Change my last answer": ask the question before the current one again."""
    intake = _intake()
    if intake.is_submitted:
        return _sent()
    services.go_back(intake, channel=CHAT)
    return _moved(intake)


@bp.post("/chat/change")
def chat_change() -> ResponseReturnValue:
    """Ask an earlier question (``field_id``) again, to change its answer."""
    intake = _intake()
    if intake.is_submitted:
        return _sent()
    try:
        services.reopen(intake, request.form.get("field_id", "")[:100])
    except KeyError:
        flash(_("This question cannot be changed now."), "warning")
        return _go(url_for("intake.chat", _anchor=_anchor(intake)))
    return _moved(intake)


@bp.post("/chat/keep")
def chat_keep() -> ResponseReturnValue:
    """Leave a reopened question as it was and carry on where the newcomer was."""
    intake = _intake()
    if intake.is_submitted:
        return _sent()
    services.keep(intake)
    return _moved(intake)
