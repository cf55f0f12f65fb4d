"""The engine: pure functions over a workflow and the answers given so far.

A :class:`Progress` is what a channel stores (answers by field id, and the steps the person has
completed); every function here takes one and returns facts or a new one. Nothing here knows about
HTTP, databases or a particular channel, which is what lets the web form, the chat and SMS share
one definition.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .conditions import holds
from .fields import Field, Invalid, Raw
from .i18n import N_, Context, Msg
from .model import Step, Workflow

ANSWERED = N_("Answered")
"""What the newcomer's own pages show instead of a sensitive answer."""


WEB = "web"
"""The web form: a step at a time."""
CHAT = "chat"
"""The web chat: a question at a time (:mod:`workflows.questions`)."""
SMS = "sms"
"""The SMS conversation: a question at a time, answered by reply."""
CHANNELS = (WEB, CHAT, SMS)


@dataclass(frozen=True)
class Progress:
    """What a filling-in holds: the answers given so far (field id -> clean value), the ids of
    completed steps, and for the question-by-question channels the questions of unfinished steps
    already asked (``asked``), the one asked again to change it (``reopened``), and per answer the
    channel it came from (``channels``)."""

    answers: Mapping[str, Any] = field(default_factory=dict)
    completed: tuple[str, ...] = ()
    asked: tuple[str, ...] = ()
    reopened: str | None = None
    channels: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class StepResult:
    """The outcome of validating one step: clean values, or per-field errors."""

    values: dict[str, Any]
    errors: dict[str, Invalid]

    @property
    def ok(self) -> bool:
        """Whether every field was accepted."""
        return not self.errors


@dataclass(frozen=True)
class SummaryItem:
    """One answered question, ready to show."""

    field: Field
    label: str
    text: str
    hidden: bool = False
    """The answer is sensitive and not shown here (``text`` then only says it was answered)."""
    channel: str | None = None
    """Where the answer came from (:data:`WEB`, :data:`CHAT`, :data:`SMS`), when it is known."""


@dataclass(frozen=True)
class SummarySection:
    """The answered questions of one step."""

    step: Step
    title: str
    items: tuple[SummaryItem, ...]


def applicable_steps(workflow: Workflow, answers: Mapping[str, Any]) -> list[Step]:
    """The steps whose condition holds for ``answers``, in order."""
    return [step for step in workflow.steps if holds(step.when, answers)]


def visible_fields(step: Step, answers: Mapping[str, Any]) -> list[Field]:
    """The fields of ``step`` whose condition holds for ``answers``."""
    return [f for f in step.fields if holds(f.when, answers)]


def depends_on_step(field: Field, step: Step) -> bool:
    """Whether the field's condition reads another field of the same step.

    A web form without JavaScript shows such a field with its condition as a hint; the engine
    drops its answer when the condition turns out false.
    """
    own = {f.id for f in step.fields}
    return field.when is not None and bool(field.when.refs() & own)


def fields_to_ask(step: Step, answers: Mapping[str, Any]) -> list[Field]:
    """The fields a form shows: visible ones, plus those that depend on this step's own answers."""
    return [f for f in step.fields if holds(f.when, answers) or depends_on_step(f, step)]


def validate_step(
    step: Step,
    raw: Mapping[str, Raw],
    answers: Mapping[str, Any],
    ctx: Context,
    *,
    text_channel: bool = False,
) -> StepResult:
    """Validate a step's raw input into clean values or per-field errors.

    Fields are taken in order, so a field's condition sees the new answers to the fields before it
    in the same step; a field whose condition is false is skipped and gets no value.
    """
    values: dict[str, Any] = {}
    errors: dict[str, Invalid] = {}
    seen = {k: v for k, v in answers.items() if k not in {f.id for f in step.fields}}
    for f in step.fields:
        if not holds(f.when, seen):
            continue
        try:
            value = f.clean(raw.get(f.id), ctx, text_channel=text_channel)
        except Invalid as problem:
            errors[f.id] = problem
            continue
        if value is not None:
            values[f.id] = value
            seen[f.id] = value
    return StepResult(values, errors)


def apply_step(
    workflow: Workflow, progress: Progress, step_id: str, values: Mapping[str, Any], *, channel: str = WEB
) -> Progress:
    """The progress after the step's clean ``values`` are saved from ``channel``, stale answers dropped.

    An answer that did not change keeps the channel it first came from.
    """
    step = workflow.step(step_id)
    own = {f.id for f in step.fields}
    answers = {k: v for k, v in progress.answers.items() if k not in own}
    answers.update(values)
    channels = {k: c for k, c in progress.channels.items() if k not in own}
    for key, value in values.items():
        same = key in progress.answers and progress.answers[key] == value
        channels[key] = progress.channels.get(key, channel) if same else channel
    completed = progress.completed if step_id in progress.completed else (*progress.completed, step_id)
    asked = tuple(a for a in progress.asked if a not in own)
    reopened = None if progress.reopened in own else progress.reopened
    return prune(workflow, Progress(answers, completed, asked, reopened, channels))


def prune(workflow: Workflow, progress: Progress) -> Progress:
    """Drop answers of skipped steps and fields, and completed marks of skipped steps.

    Conditions only look back, so one pass in definition order sees every answer it depends on
    already pruned.
    """
    kept: dict[str, Any] = {}
    completed: list[str] = []
    visible: set[str] = set()
    for step in workflow.steps:
        if not holds(step.when, kept):
            continue
        if step.id in progress.completed:
            completed.append(step.id)
        for f in step.fields:
            if holds(f.when, kept):
                visible.add(f.id)
                if f.id in progress.answers:
                    kept[f.id] = progress.answers[f.id]
    return Progress(
        kept,
        tuple(completed),
        tuple(a for a in progress.asked if a in visible),
        progress.reopened if progress.reopened in visible else None,
        {k: c for k, c in progress.channels.items() if k in kept},
    )


def next_step(workflow: Workflow, progress: Progress) -> Step | None:
    """The first applicable step not yet completed, or ``None`` when all are."""
    for step in applicable_steps(workflow, progress.answers):
        if step.id not in progress.completed:
            return step
    return None


def previous_step(workflow: Workflow, progress: Progress, step_id: str) -> Step | None:
    """The applicable step before ``step_id``, or ``None`` for the first."""
    steps = applicable_steps(workflow, progress.answers)
    ids = [s.id for s in steps]
    if step_id not in ids:
        return None
    index = ids.index(step_id)
    return steps[index - 1] if index else None


def position(workflow: Workflow, progress: Progress, step_id: str) -> tuple[int, int]:
    """``(n, total)`` for "step n of total" among the applicable steps."""
    ids = [s.id for s in applicable_steps(workflow, progress.answers)]
    return ids.index(step_id) + 1, len(ids)


def is_applicable(workflow: Workflow, progress: Progress, step_id: str) -> bool:
    """Whether ``step_id`` is a step of the workflow that applies to these answers."""
    return any(s.id == step_id for s in applicable_steps(workflow, progress.answers))


def missing_fields(workflow: Workflow, progress: Progress) -> list[Field]:
    """Required, visible fields that have no answer (e.g. after a definition change)."""
    missing = []
    for step in applicable_steps(workflow, progress.answers):
        for f in visible_fields(step, progress.answers):
            if f.required and progress.answers.get(f.id) in (None, "", []):
                missing.append(f)
    return missing


def is_complete(workflow: Workflow, progress: Progress) -> bool:
    """Whether every applicable step is completed and no required answer is missing."""
    return next_step(workflow, progress) is None and not missing_fields(workflow, progress)


def summary(
    workflow: Workflow, progress: Progress, ctx: Context, *, hide_sensitive: bool = False
) -> list[SummarySection]:
    """The applicable steps with their visible questions and answers, as text in ``ctx``'s language.

    With ``hide_sensitive`` (the newcomer's own pages: a phone may be shared) a sensitive answer
    is only said to be given, and a sensitive question that is asked only because of another
    sensitive answer is left out, since its presence alone would tell. Staff see everything.
    """
    sensitive = {f.id for _, f in workflow.fields() if f.sensitive}
    sections = []
    for step in applicable_steps(workflow, progress.answers):
        items = []
        for f in visible_fields(step, progress.answers):
            value = progress.answers.get(f.id)
            if not (hide_sensitive and f.sensitive):
                items.append(SummaryItem(f, ctx._(f.label), f.display(value, ctx), channel=progress.channels.get(f.id)))
            elif f.when is None or not f.when.refs() & sensitive:
                answered = value not in (None, "", [])
                items.append(SummaryItem(f, ctx._(f.label), ctx._(ANSWERED) if answered else "", hidden=True))
        sections.append(SummarySection(step, ctx._(step.title), tuple(items)))
    return sections


def check_workflow(workflow: Workflow, registered: Mapping[str, type[Field]]) -> list[str]:
    """Problems with a definition: duplicate ids, forward references, unmarked texts, unknown types."""
    problems: list[str] = []
    step_ids = [s.id for s in workflow.steps]
    problems += [f"duplicate step id {i!r}" for i in sorted({i for i in step_ids if step_ids.count(i) > 1})]
    earlier: set[str] = set()
    for step in workflow.steps:
        if step.when is not None:
            problems += [
                f"step {step.id!r} depends on {ref!r}, which is not an earlier field"
                for ref in sorted(step.when.refs() - earlier)
            ]
        for f in step.fields:
            if f.id in earlier:
                problems.append(f"duplicate field id {f.id!r}")
            if registered.get(f.type_name) is not type(f):
                problems.append(f"field {f.id!r} has an unregistered type {type(f).__name__}")
            if f.when is not None:
                problems += [
                    f"field {f.id!r} depends on {ref!r}, which is not an earlier field"
                    for ref in sorted(f.when.refs() - earlier)
                ]
            earlier.add(f.id)
    problems += [f"text not marked for translation: {t!r}" for t in workflow.texts() if not isinstance(t, Msg)]
    return problems
