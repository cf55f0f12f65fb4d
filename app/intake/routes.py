"""Routes of the intake: thin; the engine decides what is asked, ``services`` store it."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required

from forms.auth import ConfirmForm
from forms.conversation import ReplyForm
from forms.workflow import build_step_form, client_conditions
from workflows import engine

from ..conversation import answers_limited
from ..conversation import services as conversation
from ..extensions import db
from ..i18n import current_language, number
from ..models.filling import RETURNED
from . import bp, services


@bp.before_request
@login_required
def _signed_in() -> None:
    """Every intake page is personal, and a newcomer's."""
    if current_user.newcomer is None:
        abort(404)


def _intake():  # noqa: ANN202
    return services.start_or_resume(current_user.newcomer)


def _resume_url(intake) -> str:  # noqa: ANN001
    if intake.is_submitted:
        return url_for("intake.done")
    step = engine.next_step(services.workflow(intake), services.progress(intake))
    return url_for("intake.step", step_id=step.id) if step else url_for("intake.review")


def _returned_with(intake):  # noqa: ANN001, ANN202
    """The conversation message that returned the intake, while it is returned (``None`` otherwise)."""
    if intake.status != RETURNED:
        return None
    return conversation.question_of(intake.newcomer, intake.reviewed_at)


def klantmanager_question(intake) -> str | None:  # noqa: ANN001
    """The klantmanager's question in the reader's language, while the intake is returned to the newcomer."""
    if intake.status != RETURNED:
        return None
    message = _returned_with(intake)
    return conversation.text_of(message) if message is not None else intake.question


@bp.get("/")
def resume() -> ResponseReturnValue:
    """Continue where the newcomer left off: the first unanswered step, or the review."""
    return redirect(_resume_url(_intake()))


@bp.route("/<step_id>", methods=["GET", "POST"])
def step(step_id: str) -> ResponseReturnValue:
    """One step of the intake: show it, or save it and go on."""
    intake = _intake()
    definition = services.workflow(intake)
    try:
        current = definition.step(step_id)
    except KeyError:
        abort(404)
    if intake.is_submitted:
        if request.method == "POST":
            flash(_("You already sent your intake. This change was not saved."), "warning")
        return redirect(url_for("intake.done"))
    progress = services.progress(intake)
    upcoming = engine.next_step(definition, progress)
    reachable = current.id in progress.completed or (upcoming is not None and current.id == upcoming.id)
    if not engine.is_applicable(definition, progress, current.id) or not reachable:
        return redirect(_resume_url(intake))

    ctx = services.context()
    form = build_step_form(current, progress.answers, ctx)
    if form.validate_on_submit():
        saved = services.save_step(intake, current.id, form.values)
        if request.args.get("from") == "review" and engine.next_step(definition, saved) is None:
            return redirect(url_for("intake.review"))
        return redirect(_resume_url(intake))

    position, total = engine.position(definition, progress, current.id)
    previous = engine.previous_step(definition, progress, current.id)
    return render_template(
        "intake/step.html",
        step=current,
        form=form,
        ctx=ctx,
        number=number(position),
        total=number(total),
        position=position,
        count=total,
        previous=previous,
        conditions=client_conditions(current, form.specs),
        question=klantmanager_question(intake),
    ), 422 if form.errors else 200


@bp.get("/review")
def review() -> ResponseReturnValue:
    """Every answer, with a link to change each step, and the button to send it in.

    A returned intake shows the klantmanager's question in the reader's language (reading it marks
    it read), the answers written to it so far, and a field to answer it in text.
    """
    return _review(_intake(), ReplyForm(formdata=None))


def _review(intake, answer_form: ReplyForm, code: int = 200) -> ResponseReturnValue:  # noqa: ANN001
    if intake.is_submitted:
        return redirect(url_for("intake.done"))
    definition, progress = services.workflow(intake), services.progress(intake)
    if not engine.is_complete(definition, progress):
        return redirect(_resume_url(intake))
    # A phone may be shared: sensitive answers show only as "answered" (staff see them).
    sections = engine.summary(definition, progress, services.context(), hide_sensitive=True)
    message = _returned_with(intake)
    question = conversation.text_of(message) if message is not None else klantmanager_question(intake)
    answered, language = [], None
    if message is not None:
        language = None if message.common_question else message.language
        answered = [(a.body, a.created_at) for a in conversation.answers_to(message)]
        if message.read_at is None:
            conversation.mark_read_by_newcomer(intake.newcomer, [message.id])
    return render_template(
        "intake/review.html",
        sections=sections,
        form=ConfirmForm(),
        question=question,
        question_language=language,
        answered=answered,
        answer_form=answer_form if message is not None else None,
    ), code


@bp.post("/review/answer")
@answers_limited
def answer() -> ResponseReturnValue:
    """The newcomer answers the klantmanager's question in text; the intake stays returned, to change and send again."""
    intake = _intake()
    if intake.is_submitted:
        flash(_("You already sent your intake. This change was not saved."), "warning")
        return redirect(url_for("intake.done"))
    message = _returned_with(intake)
    if message is None:
        return redirect(url_for("intake.review"))
    form = ReplyForm()
    if form.validate_on_submit():
        try:
            conversation.reply(intake.newcomer, form.body.data, language=current_language().code, in_reply_to=message)
        except (conversation.EmptyMessage, conversation.TooLong):
            db.session.rollback()
            form.body.errors = [_("Please write your answer.")]
        else:
            flash(_("Your answer was sent to your klantmanager."), "info")
            return redirect(url_for("intake.review", _anchor="question"))
    return _review(intake, form, 422)


@bp.post("/submit")
def submit() -> ResponseReturnValue:
    """Send the intake to the municipality."""
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    intake = _intake()
    if not services.submit(intake):
        flash(_("Some questions still need an answer."), "warning")
    return redirect(_resume_url(intake))


@bp.get("/done")
def done() -> ResponseReturnValue:
    """The confirmation, shown after submitting and whenever the newcomer comes back."""
    intake = _intake()
    if not intake.is_submitted:
        return redirect(_resume_url(intake))
    return render_template("intake/done.html", intake=intake)


@bp.get("/sent")
def sent() -> ResponseReturnValue:
    """What the newcomer sent, to read and not to change; sensitive answers only as "answered"."""
    intake = _intake()
    if not intake.is_submitted:
        return redirect(_resume_url(intake))
    sections = engine.summary(
        services.workflow(intake), services.progress(intake), services.context(), hide_sensitive=True
    )
    return render_template("intake/sent.html", intake=intake, sections=sections)
