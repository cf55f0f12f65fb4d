"""Signals: what a klantmanager should see first in a submitted intake, as data over its answers.

A signal is a label and a condition over the brede intake's answers (field ids of
``workflows/intake.py``). :func:`signals_of` is a pure function: no Flask, no database.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .conditions import All, AnyOf, Condition, Equals, In
from .i18n import N_, Msg


@dataclass(frozen=True, kw_only=True)
class Signal:
    """Something in the answers that asks for the klantmanager's attention."""

    id: str
    label: Msg
    when: Condition


SIGNALS: tuple[Signal, ...] = (
    Signal(
        id="talk_without_partner",
        label=N_("Wants a talk without their partner"),
        when=Equals("talk_without_partner", True),
    ),
    Signal(
        id="debt_help",
        label=N_("Has debts (or is not sure) and would like help"),
        when=All(In("has_debts", ("yes", "unsure")), Equals("debt_help_wanted", True)),
    ),
    Signal(
        id="childcare",
        label=N_("Needs childcare during lessons"),
        when=Equals("needs_childcare", True),
    ),
    Signal(
        id="health",
        label=N_("Shared health worries"),
        when=AnyOf(In("health_limits", ("physical", "mental", "both")), Equals("health_help_wanted", True)),
    ),
    Signal(
        id="not_answered_as_best",
        label=N_('Answered "no" to "Did you answer the questions as well as you could?"'),
        when=Equals("answers_true", False),
    ),
)


def signals_of(answers: Mapping[str, Any], definitions: tuple[Signal, ...] = SIGNALS) -> tuple[Signal, ...]:
    """The signals that hold for ``answers``, in the order of their definitions."""
    return tuple(signal for signal in definitions if signal.when.evaluate(answers))
