"""The builder that turns a workflow step into a FlaskForm.

The form holds one WTForms field per question (for names, raw values and errors) and the CSRF
token; validation is the engine's, so the web form accepts exactly what the chat and SMS accept.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask_wtf import FlaskForm
from wtforms import Field as WTField
from wtforms import RadioField, SelectField, SelectMultipleField, StringField

from workflows import engine
from workflows.conditions import Equals, In, Not
from workflows.fields import Field
from workflows.i18n import Context
from workflows.model import Step

_CHOICE_FIELDS = {"radio": RadioField, "select": SelectField, "checkboxes": SelectMultipleField}


def _wtforms_field(spec: Field, ctx: Context) -> WTField:
    # Options are rendered from the field type and checked by the engine, so WTForms needs none.
    cls = _CHOICE_FIELDS.get(spec.widget)
    if cls is None:
        return StringField(ctx._(spec.label))
    return cls(ctx._(spec.label), validate_choice=False)


class StepForm(FlaskForm):
    """A step's form; :meth:`validate` runs the engine and fills in per-field errors."""

    step: Step
    specs: list[Field]
    ctx: Context
    answers: Mapping[str, Any]
    values: dict[str, Any]

    def validate(self, extra_validators: Any = None) -> bool:
        """CSRF first, then the engine; errors land on the form's fields."""
        if not super().validate(extra_validators):
            return False
        # Strings only: a file smuggled into a multipart body is no answer.
        raw = {spec.id: [v for v in self[spec.id].raw_data or [] if isinstance(v, str)] for spec in self.specs}
        result = engine.validate_step(self.step, raw, self.answers, self.ctx)
        for field_id, problem in result.errors.items():
            self[field_id].errors = [problem.text(self.ctx)]
        self.values = result.values
        return result.ok


def build_step_form(step: Step, answers: Mapping[str, Any], ctx: Context) -> StepForm:
    """A form for ``step``, bound to the posted data on POST, else filled with the stored answers."""
    specs = engine.fields_to_ask(step, answers)
    attrs: dict[str, Any] = {spec.id: _wtforms_field(spec, ctx) for spec in specs}
    form_class = type(f"{step.id.title().replace('_', '')}Form", (StepForm,), attrs)
    initial = {spec.id: spec.as_raw(answers[spec.id]) for spec in specs if spec.id in answers}
    form = form_class(data=initial)
    form.step, form.specs, form.ctx, form.answers, form.values = step, specs, ctx, answers, {}
    return form


def client_conditions(step: Step, specs: list[Field]) -> dict[str, dict[str, Any]]:
    """For fields that depend on the same step's answers: a condition the browser can evaluate.

    Only ``Equals``/``In`` (optionally under ``Not``) on one field translate to the form's raw
    values; other fields simply stay visible, and the server decides as always.
    """
    own = {f.id: f for f in step.fields}
    conditions: dict[str, dict[str, Any]] = {}
    for spec in specs:
        if not engine.depends_on_step(spec, step):
            continue
        condition, negate = spec.when, False
        if isinstance(condition, Not):
            condition, negate = condition.condition, True
        if isinstance(condition, Equals):
            field_id, values = condition.field, (condition.value,)
        elif isinstance(condition, In):
            field_id, values = condition.field, condition.values
        else:
            continue
        if field_id in own:
            raw = [own[field_id].as_raw(v) for v in values]
            conditions[spec.id] = {"field": field_id, "values": raw, "negate": negate}
    return conditions
