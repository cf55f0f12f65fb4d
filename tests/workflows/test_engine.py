"""The engine on its own: no Flask, no database, no request."""

from __future__ import annotations

import ast
from datetime import date
from pathlib import Path

import pytest

import workflows
from workflows import engine
from workflows.conditions import All, Answered, AnyOf, Equals, In, Not
from workflows.engine import Progress
from workflows.fields import Choice, ChoiceField, NumberField, TextField, YesNoField
from workflows.i18n import N_, Context
from workflows.model import Step, Workflow

CTX = Context(locale="en", today=date(2026, 11, 23))

FAMILY = Workflow(
    id="family_test",
    version=1,
    title=N_("Test"),
    steps=(
        Step(
            id="children",
            title=N_("Children"),
            fields=(
                YesNoField(id="has_children", label=N_("Children?")),
                NumberField(id="count", label=N_("How many?"), min_value=1, when=Equals("has_children", True)),
            ),
        ),
        Step(
            id="childcare",
            title=N_("Childcare"),
            when=Equals("has_children", True),
            fields=(YesNoField(id="needs_care", label=N_("Care?")),),
        ),
        Step(id="end", title=N_("End"), fields=(TextField(id="note", label=N_("Note"), required=False),)),
    ),
)


def answer(workflow: Workflow, progress: Progress, step_id: str, raw: dict) -> Progress:
    step = workflow.step(step_id)
    result = engine.validate_step(step, raw, progress.answers, CTX, text_channel=True)
    assert result.ok, {k: v.text(CTX) for k, v in result.errors.items()}
    return engine.apply_step(workflow, progress, step_id, result.values)


@pytest.mark.parametrize(
    ("condition", "answers", "expected"),
    [
        (Equals("a", 1), {"a": 1}, True),
        (Equals("a", 1), {}, False),
        (In("a", (1, 2)), {"a": 2}, True),
        (In("a", ("x",)), {"a": ["y", "x"]}, True),
        (In("a", ("x",)), {"a": ["y"]}, False),
        (Not(Equals("a", 1)), {"a": 2}, True),
        (All(Equals("a", 1), Answered("b")), {"a": 1, "b": "x"}, True),
        (All(Equals("a", 1), Answered("b")), {"a": 1, "b": ""}, False),
        (AnyOf(Equals("a", 1), Equals("b", 2)), {"b": 2}, True),
        (AnyOf(Equals("a", 1), Equals("b", 2)), {}, False),
    ],
)
def test_conditions(condition, answers, expected):
    assert condition.evaluate(answers) is expected


def test_condition_refs():
    assert All(Equals("a", 1), Not(In("b", (1,))), AnyOf(Answered("c"))).refs() == {"a", "b", "c"}


def test_skipped_step_and_field():
    progress = answer(FAMILY, Progress(), "children", {"has_children": "2"})
    assert [s.id for s in engine.applicable_steps(FAMILY, progress.answers)] == ["children", "end"]
    assert engine.next_step(FAMILY, progress).id == "end"
    assert "count" not in progress.answers


def test_field_condition_sees_answers_earlier_in_the_same_step():
    step = FAMILY.step("children")
    result = engine.validate_step(step, {"has_children": ["yes"], "count": [""]}, {}, CTX)
    assert result.errors["count"].text(CTX) == "Please answer this question."
    result = engine.validate_step(step, {"has_children": ["no"], "count": ["not a number"]}, {}, CTX)
    assert result.ok
    assert result.values == {"has_children": False}


def test_stale_answers_are_dropped_when_a_condition_turns_false():
    progress = answer(FAMILY, Progress(), "children", {"has_children": "1", "count": "2"})
    progress = answer(FAMILY, progress, "childcare", {"needs_care": "1"})
    assert progress.answers == {"has_children": True, "count": 2, "needs_care": True}
    progress = answer(FAMILY, progress, "children", {"has_children": "2"})
    assert progress.answers == {"has_children": False}
    assert progress.completed == ("children",)


def test_position_previous_and_completion():
    progress = answer(FAMILY, Progress(), "children", {"has_children": "1", "count": "3"})
    assert engine.position(FAMILY, progress, "childcare") == (2, 3)
    assert engine.previous_step(FAMILY, progress, "childcare").id == "children"
    assert engine.previous_step(FAMILY, progress, "children") is None
    assert not engine.is_complete(FAMILY, progress)
    progress = answer(FAMILY, progress, "childcare", {"needs_care": "2"})
    progress = answer(FAMILY, progress, "end", {"note": ""})
    assert engine.next_step(FAMILY, progress) is None
    assert engine.is_complete(FAMILY, progress)


def test_missing_required_answer_means_not_complete():
    progress = Progress({"has_children": False}, ("children", "end"))
    assert engine.is_complete(FAMILY, progress)
    broken = Progress({}, ("children", "end"))
    assert [f.id for f in engine.missing_fields(FAMILY, broken)] == ["has_children"]
    assert not engine.is_complete(FAMILY, broken)


def test_summary_lists_visible_questions_with_display_text():
    progress = answer(FAMILY, Progress(), "children", {"has_children": "1", "count": "2"})
    sections = engine.summary(FAMILY, progress, CTX)
    assert [(s.title, [(i.label, i.text) for i in s.items]) for s in sections] == [
        ("Children", [("Children?", "Yes"), ("How many?", "2")]),
        ("Childcare", [("Care?", "")]),
        ("End", [("Note", "")]),
    ]


def test_definition_check_finds_problems():
    bad = Workflow(
        id="bad",
        version=1,
        title=N_("Bad"),
        steps=(
            Step(id="one", title=N_("One"), when=Equals("later", 1), fields=(TextField(id="x", label="plain"),)),
            Step(
                id="one",
                title=N_("Two"),
                fields=(
                    TextField(id="x", label=N_("X")),
                    ChoiceField(id="later", label=N_("L"), choices=(Choice("a", N_("A")),)),
                ),
            ),
        ),
    )
    problems = engine.check_workflow(bad, {"text": TextField})
    assert "duplicate step id 'one'" in problems
    assert "duplicate field id 'x'" in problems
    assert "step 'one' depends on 'later', which is not an earlier field" in problems
    assert "field 'later' has an unregistered type ChoiceField" in problems
    assert "text not marked for translation: 'plain'" in problems


def test_workflows_import_neither_flask_nor_sqlalchemy():
    package = Path(workflows.__file__).parent
    imported = set()
    for path in package.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                imported |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                imported.add(node.module.split(".")[0])
    assert imported, "the package imports something"
    assert not imported & {"flask", "flask_babel", "flask_wtf", "sqlalchemy", "app", "forms"}
