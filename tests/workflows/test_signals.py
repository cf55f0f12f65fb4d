"""Signals: computed from the intake's answers by a pure function, defined as data over real field ids."""

from __future__ import annotations

import pytest

from workflows.i18n import Msg
from workflows.intake import BREDE_INTAKE
from workflows.signals import SIGNALS, signals_of


def ids(answers: dict) -> list[str]:
    return [signal.id for signal in signals_of(answers)]


def test_every_signal_reads_fields_of_the_brede_intake_and_has_a_marked_label():
    fields = {f.id for step in BREDE_INTAKE.steps for f in step.fields}
    for signal in SIGNALS:
        assert signal.when.refs() <= fields, signal.id
        assert isinstance(signal.label, Msg)
    assert len({s.id for s in SIGNALS}) == len(SIGNALS)


def test_no_answers_no_signals():
    assert ids({}) == []


@pytest.mark.parametrize(
    ("answers", "expected"),
    [
        ({"partner": "in_nl", "talk_without_partner": True}, ["talk_without_partner"]),
        ({"partner": "in_nl", "talk_without_partner": False}, []),
        ({"has_debts": "yes", "debt_help_wanted": True}, ["debt_help"]),
        ({"has_debts": "unsure", "debt_help_wanted": True}, ["debt_help"]),
        ({"has_debts": "yes", "debt_help_wanted": False}, []),
        ({"has_debts": "prefer_not_to_say"}, []),
        ({"has_children": True, "needs_childcare": True}, ["childcare"]),
        ({"has_children": True, "needs_childcare": False}, []),
        ({"health_limits": "mental"}, ["health"]),
        ({"health_limits": "no", "health_help_wanted": True}, ["health"]),
        ({"health_limits": "prefer_not_to_say", "health_help_wanted": "prefer_not_to_say"}, []),
        ({"answers_true": False}, ["not_answered_as_best"]),
        ({"answers_true": True}, []),
    ],
)
def test_each_signal(answers, expected):
    assert ids(answers) == expected


def test_several_signals_in_the_order_of_their_definitions():
    answers = {"answers_true": False, "needs_childcare": True, "talk_without_partner": True, "health_limits": "both"}
    assert ids(answers) == ["talk_without_partner", "childcare", "health", "not_answered_as_best"]
