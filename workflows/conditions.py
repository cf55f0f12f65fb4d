"""Conditions as data: which steps and fields apply, given the answers so far.

The engine evaluates them; definitions never branch with ``if`` statements. Every condition can
name the fields it reads (:meth:`Condition.refs`), so a definition check can prove that a
condition only looks back.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


class Condition(ABC):
    """Base class: a predicate over a mapping of field id to clean answer."""

    @abstractmethod
    def evaluate(self, answers: Mapping[str, Any]) -> bool:
        """Return whether the condition holds for ``answers``."""

    @abstractmethod
    def refs(self) -> frozenset[str]:
        """Return the ids of the fields the condition reads."""


@dataclass(frozen=True)
class Equals(Condition):
    """The answer to ``field`` is exactly ``value``."""

    field: str
    value: Any

    def evaluate(self, answers: Mapping[str, Any]) -> bool:
        return self.field in answers and answers[self.field] == self.value

    def refs(self) -> frozenset[str]:
        return frozenset({self.field})


@dataclass(frozen=True)
class In(Condition):
    """The answer to ``field`` is one of ``values``; for a multiple choice, any chosen one is."""

    field: str
    values: tuple[Any, ...]

    def evaluate(self, answers: Mapping[str, Any]) -> bool:
        answer = answers.get(self.field)
        if isinstance(answer, list):
            return any(item in self.values for item in answer)
        return answer is not None and answer in self.values

    def refs(self) -> frozenset[str]:
        return frozenset({self.field})


@dataclass(frozen=True)
class Answered(Condition):
    """``field`` has an answer (any answer, including "prefer not to say")."""

    field: str

    def evaluate(self, answers: Mapping[str, Any]) -> bool:
        return answers.get(self.field) not in (None, "", [])

    def refs(self) -> frozenset[str]:
        return frozenset({self.field})


@dataclass(frozen=True)
class Not(Condition):
    """The inner condition does not hold."""

    condition: Condition

    def evaluate(self, answers: Mapping[str, Any]) -> bool:
        return not self.condition.evaluate(answers)

    def refs(self) -> frozenset[str]:
        return self.condition.refs()


@dataclass(frozen=True)
class All(Condition):
    """Every inner condition holds."""

    conditions: tuple[Condition, ...]

    def __init__(self, *conditions: Condition) -> None:
        object.__setattr__(self, "conditions", conditions)

    def evaluate(self, answers: Mapping[str, Any]) -> bool:
        return all(c.evaluate(answers) for c in self.conditions)

    def refs(self) -> frozenset[str]:
        return frozenset().union(*(c.refs() for c in self.conditions))


@dataclass(frozen=True)
class AnyOf(Condition):
    """At least one inner condition holds."""

    conditions: tuple[Condition, ...]

    def __init__(self, *conditions: Condition) -> None:
        object.__setattr__(self, "conditions", conditions)

    def evaluate(self, answers: Mapping[str, Any]) -> bool:
        return any(c.evaluate(answers) for c in self.conditions)

    def refs(self) -> frozenset[str]:
        return frozenset().union(*(c.refs() for c in self.conditions))


def holds(condition: Condition | None, answers: Mapping[str, Any]) -> bool:
    """Evaluate an optional condition: no condition always holds."""
    return condition is None or condition.evaluate(answers)
