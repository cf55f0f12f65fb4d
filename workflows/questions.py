"""The engine a question at a time, for the web chat and the SMS conversation.

The step API (:mod:`workflows.engine`) serves the web form; this module serves the channels that ask
one question at a time. Both read and write the same :class:`~workflows.engine.Progress`, so a
person can answer half a step in the chat, see those answers in the form, and finish by SMS.

Every function is pure: it takes the definition and the progress, and the channel and a
:class:`~workflows.i18n.Context` (language, translator, today) explicitly, since an SMS webhook has
no request language; it returns facts or a new progress.

- :func:`next_question`: the question to ask now in a channel (``None`` when the channel has nothing
  left to ask).
- :func:`answer`: apply one raw answer from a channel; a refused answer comes back with its message
  and the progress unchanged.
- :func:`go_back`: ask the previous question again ("change my last answer").
- :func:`reopen`: ask any earlier question again, then carry on where the person was.
- :func:`keep`: leave a reopened question as it was.

A question is *done* when its step is completed (and, if required, it has an answer), or, in an
unfinished step, when it was answered (or left empty, if optional) question by question: the ids of
those are ``Progress.asked``. When every visible question of a step is done, the step is completed,
exactly as if its form page had been sent, so the answers stored are the same whichever channel
gave them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from .engine import CHANNELS, SMS, WEB, Progress, applicable_steps, prune, visible_fields
from .fields import Field, Invalid, Raw
from .i18n import Context
from .model import Step, Workflow


@dataclass(frozen=True)
class Question:
    """A question to ask, with where it stands: ``number`` of about ``total`` (conditions may still
    add or remove questions, hence "about")."""

    step: Step
    field: Field
    number: int
    total: int
    first_of_step: bool
    """The first question of its step: a chat shows the step's title and intro before it."""
    reopened: bool = False
    """Asked again because the person wants to change their answer."""


@dataclass(frozen=True)
class Answered:
    """The outcome of one answer: the new progress, or the unchanged one with the ``error``."""

    progress: Progress
    error: Invalid | None = None

    @property
    def ok(self) -> bool:
        """Whether the answer was accepted."""
        return self.error is None


def _check(channel: str) -> None:
    if channel not in CHANNELS:
        raise ValueError(f"unknown channel {channel!r}")


def asks(field: Field, channel: str) -> bool:
    """Whether ``channel`` asks ``field`` (SMS skips what does not suit it; the web asks everything)."""
    return channel != SMS or field.asked_by_sms


def questions(workflow: Workflow, answers: Mapping[str, Any]) -> list[tuple[Step, Field]]:
    """Every question that applies to ``answers``, in order, with its step."""
    return [(step, f) for step in applicable_steps(workflow, answers) for f in visible_fields(step, answers)]


def is_done(step: Step, field: Field, progress: Progress) -> bool:
    """Whether ``field`` needs no asking: answered in a completed step, or asked in an unfinished one."""
    if step.id in progress.completed:
        return not (field.required and progress.answers.get(field.id) in (None, "", []))
    return field.id in progress.asked


def next_question(workflow: Workflow, progress: Progress, *, channel: str = WEB) -> Question | None:
    """The question to ask now in ``channel``: a reopened one, else the first not done that the
    channel asks; ``None`` when the channel has none left (for SMS, web-only ones may remain)."""
    _check(channel)
    flat = questions(workflow, progress.answers)
    for index, (_, f) in enumerate(flat):
        if f.id == progress.reopened and asks(f, channel):  # a sensitive one reopened on the web stays there
            return _question(flat, index, reopened=True)
    for index, (step, f) in enumerate(flat):
        if not is_done(step, f, progress) and asks(f, channel):
            return _question(flat, index)
    return None


def remaining(workflow: Workflow, progress: Progress) -> list[tuple[Step, Field]]:
    """The questions not done yet, whatever the channel (web-only ones left by SMS included)."""
    return [(s, f) for s, f in questions(workflow, progress.answers) if not is_done(s, f, progress)]


def _question(flat: list[tuple[Step, Field]], index: int, *, reopened: bool = False) -> Question:
    step, f = flat[index]
    first = index == 0 or flat[index - 1][0].id != step.id
    return Question(step, f, index + 1, len(flat), first, reopened)


def answer(workflow: Workflow, progress: Progress, field_id: str, raw: Raw, ctx: Context, *, channel: str) -> Answered:
    """Apply one raw answer to ``field_id`` from ``channel``.

    The field's own type parses it (in the chat and SMS a choice may be its number or its name). An
    accepted answer is stored with its channel; once every visible question of the step is done the
    step is completed; answers that no longer apply are dropped. ``KeyError`` when ``field_id`` is
    not a question that applies now.
    """
    _check(channel)
    flat = questions(workflow, progress.answers)
    found = next(((s, f) for s, f in flat if f.id == field_id), None)
    if found is None:
        raise KeyError(field_id)
    step, f = found
    try:
        value = f.clean(raw, ctx, text_channel=channel != WEB)
    except Invalid as problem:
        return Answered(progress, problem)
    answers = dict(progress.answers)
    channels = dict(progress.channels)
    if value is None:
        answers.pop(f.id, None)
        channels.pop(f.id, None)
    else:
        if answers.get(f.id) != value or f.id not in channels:
            channels[f.id] = channel
        answers[f.id] = value
    asked = progress.asked
    if step.id not in progress.completed and f.id not in asked:
        asked = (*asked, f.id)
    reopened = None if progress.reopened == f.id else progress.reopened
    new = prune(workflow, Progress(answers, progress.completed, asked, reopened, channels))
    return Answered(settle(workflow, unsettle(workflow, progress, new)))


def unsettle(workflow: Workflow, before: Progress, after: Progress) -> Progress:
    """Take back the completion of the steps where an answer showed new questions, so they are asked.

    A form shows the whole step again; question by question, a changed answer that makes questions
    appear in a completed step (a diploma after all: its subject, country and papers) must lead to
    them, the optional ones too. The step's other questions count as asked, and :func:`settle`
    completes it again once the new ones are answered.
    """
    completed = list(after.completed)
    asked = list(after.asked)
    for step in applicable_steps(workflow, after.answers):
        if step.id not in after.completed:
            continue
        shown_before = {f.id for f in visible_fields(step, before.answers)}
        shown = visible_fields(step, after.answers)
        if all(f.id in shown_before for f in shown):
            continue
        completed.remove(step.id)
        asked += [f.id for f in shown if f.id in shown_before and is_done(step, f, after)]
    if completed == list(after.completed):
        return after
    return replace(after, completed=tuple(completed), asked=tuple(asked))


def settle(workflow: Workflow, progress: Progress) -> Progress:
    """Complete the unfinished steps whose visible questions are all asked (they leave ``asked``),
    and the reached ones that have no visible question."""
    completed = list(progress.completed)
    asked = list(progress.asked)
    reached = True  # every step before this one is completed
    for step in applicable_steps(workflow, progress.answers):
        if step.id in completed:
            continue
        shown = visible_fields(step, progress.answers)
        # A step whose conditions hide every question is passed once reached, as its empty form page would be.
        if (shown or reached) and all(f.id in asked for f in shown):
            completed.append(step.id)
            own = {f.id for f in step.fields}
            asked = [a for a in asked if a not in own]
        else:
            reached = False
    if completed == list(progress.completed):
        return progress
    return prune(workflow, replace(progress, completed=tuple(completed), asked=tuple(asked)))


def done_questions(workflow: Workflow, progress: Progress) -> list[tuple[Step, Field]]:
    """The questions already done, in order: what a chat shows as the conversation so far."""
    return [(s, f) for s, f in questions(workflow, progress.answers) if is_done(s, f, progress)]


def go_back(workflow: Workflow, progress: Progress, *, channel: str = WEB) -> Progress:
    """Ask again the question before the current one ("change my last answer").

    The current one is the reopened question if there is one, else :func:`next_question`; the one
    before is the closest done question before it that ``channel`` asks (the last done one when
    nothing is left). The progress is unchanged when there is none.
    """
    _check(channel)
    flat = questions(workflow, progress.answers)
    ids = [f.id for _, f in flat]
    current = next_question(workflow, progress, channel=channel)
    end = ids.index(current.field.id) if current is not None else len(flat)
    for step, f in reversed(flat[:end]):
        if is_done(step, f, progress) and asks(f, channel):
            return replace(progress, reopened=f.id)
    return progress


def reopen(workflow: Workflow, progress: Progress, field_id: str) -> Progress:
    """Ask ``field_id`` again, to change its answer; after it the person carries on where they were.

    ``KeyError`` when it is not a question that applies and has been done.
    """
    for step, f in questions(workflow, progress.answers):
        if f.id == field_id and is_done(step, f, progress):
            return replace(progress, reopened=f.id)
    raise KeyError(field_id)


def keep(progress: Progress) -> Progress:
    """Leave the reopened question's answer as it was."""
    return replace(progress, reopened=None)
