"""The shape of a questionnaire: a :class:`Workflow` of :class:`Step` s of typed fields."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from .conditions import Condition
from .fields import Field
from .i18n import Msg


@dataclass(frozen=True, kw_only=True)
class Step:
    """One page of a form, one topic of a chat: a title, an intro, why it is asked, and fields."""

    id: str
    title: Msg
    intro: Msg | None = None
    why: Msg | None = None
    """For sensitive topics: why we ask and who sees the answers."""
    fields: tuple[Field, ...]
    when: Condition | None = None

    def field(self, field_id: str) -> Field:
        """The field with ``field_id`` (KeyError when the step has none)."""
        for field in self.fields:
            if field.id == field_id:
                return field
        raise KeyError(field_id)

    def texts(self) -> Iterator[Msg]:
        """Every translatable text of the step and its fields."""
        yield self.title
        yield from (text for text in (self.intro, self.why) if text)
        for field in self.fields:
            yield from field.texts()


@dataclass(frozen=True, kw_only=True)
class Workflow:
    """A versioned questionnaire; answers are stored with the id and version they were given for."""

    id: str
    version: int
    title: Msg
    steps: tuple[Step, ...]
    sms: bool = False
    """Whether it may be answered by SMS, question by question (the intake, the surveys)."""
    repeatable: bool = False
    """Whether one person may fill it in more than once (a survey every six months); the intake is once."""

    def step(self, step_id: str) -> Step:
        """The step with ``step_id`` (KeyError when there is none)."""
        for step in self.steps:
            if step.id == step_id:
                return step
        raise KeyError(step_id)

    def fields(self) -> Iterator[tuple[Step, Field]]:
        """Every field with its step, in order."""
        for step in self.steps:
            for field in step.fields:
                yield step, field

    def texts(self) -> Iterator[Msg]:
        """Every translatable text of the workflow."""
        yield self.title
        for step in self.steps:
            yield from step.texts()
