"""Dates typed by staff have sane bounds: every date field of every staff form, the import, and the term end.

The form classes are discovered by walking the ``forms`` package, so a date field added later to any
form is covered without anyone remembering to add it here.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
from datetime import date, timedelta

import pytest
from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict
from wtforms import DateField
from wtforms.fields.core import UnboundField

import forms
from app.backoffice import pip_services
from forms.dates import SaneDate, date_bounds, today
from forms.imports import NotificationRowForm
from tests.app.backoffice.test_casefiles import register
from tests.app.backoffice.test_pip import add_pip, error_of, make_file, post_extension, post_pip
from tests.conftest import staff_sign_in

FAR = "9999-12-31"
BOUND_MESSAGE = "Type a date from "


def form_classes() -> list[type[FlaskForm]]:
    """Every form class defined in the ``forms`` package."""
    classes = []
    for module_info in pkgutil.iter_modules(forms.__path__):
        module = importlib.import_module(f"forms.{module_info.name}")
        for _name, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, FlaskForm) and cls.__module__ == module.__name__:
                classes.append(cls)
    return classes


def date_fields(cls: type[FlaskForm]) -> list[tuple[str, UnboundField]]:
    """The date fields of a form class (inherited ones included), as declared."""
    return [
        (name, value)
        for name, value in inspect.getmembers(cls)
        if isinstance(value, UnboundField) and issubclass(value.field_class, DateField)
    ]


ALL_DATE_FIELDS = [(cls, name) for cls in form_classes() for name, _field in date_fields(cls)]


def test_the_walk_finds_the_date_fields_of_the_staff_forms():
    found = {f"{cls.__name__}.{name}" for cls, name in ALL_DATE_FIELDS}
    assert {
        "RegisterNewcomerForm.duo_notified_on",
        "RegisterNewcomerForm.settled_on",
        "PipForm.pip_on",
        "PipForm.financial_relief_on",
        "TermExtensionForm.decided_on",
        "NotificationRowForm.duo_notified_on",
        "AuditFilterForm.date_to",
    } <= found


@pytest.mark.parametrize(("cls", "name"), ALL_DATE_FIELDS, ids=lambda v: getattr(v, "__name__", v))
def test_every_date_field_has_the_bounds(cls, name):
    validators = dict(date_fields(cls))[name].kwargs.get("validators") or []
    assert any(isinstance(v, SaneDate) for v in validators), f"{cls.__name__}.{name} has no SaneDate"


@pytest.mark.parametrize("value", [FAR, "1900-01-01", "2020-12-31"])
@pytest.mark.parametrize(("cls", "name"), ALL_DATE_FIELDS, ids=lambda v: getattr(v, "__name__", v))
def test_every_date_field_refuses_a_date_out_of_bounds(app, cls, name, value):
    with app.test_request_context(headers={"Accept-Language": "en"}):
        if cls is NotificationRowForm:
            form = cls({name: value}, [], [])
        else:
            form = cls(formdata=MultiDict({name: value}), meta={"csrf": False})
        form.validate()
        field = form[name]
        assert field.data == date.fromisoformat(value)  # read, and kept for the page
        assert any(BOUND_MESSAGE in str(e) for e in field.errors), (cls.__name__, name, field.errors)


def test_the_bounds_are_the_laws_start_and_a_year_ahead_and_configurable(app):
    with app.app_context():
        assert date_bounds(on=date(2026, 6, 1)) == (date(2021, 1, 1), date(2027, 6, 2))
        assert date_bounds(future_days=0, on=date(2026, 6, 1))[1] == date(2026, 6, 1)
        app.config.update(DATE_EARLIEST="2022-01-01", DATE_MAX_FUTURE_DAYS=30)
        try:
            assert date_bounds(on=date(2026, 6, 1)) == (date(2022, 1, 1), date(2026, 7, 1))
        finally:
            del app.config["DATE_EARLIEST"], app.config["DATE_MAX_FUTURE_DAYS"]


# -- the pages: a message next to the field, the typed date kept, never a 500 -------------------------


@pytest.fixture
def staff(client, make_staff):  # noqa: ANN001, ANN201
    login = make_staff()
    staff_sign_in(client, login)
    return login


@pytest.mark.parametrize("field", ["duo_notified_on", "settled_on"])
def test_register_refuses_a_far_date_next_to_the_field(client, staff, field):
    response = register(client, **{field: FAR})
    assert response.status_code == 422
    assert BOUND_MESSAGE in error_of(response.text, field)
    assert f'value="{FAR}"' in response.text
    assert 'value="ዮናስ ተስፋይ"' in response.text  # nothing typed is lost


@pytest.mark.parametrize("field", ["pip_on", "financial_relief_on"])
def test_the_pip_form_refuses_a_far_date_next_to_the_field(client, app, staff, field):
    file_id = make_file(app)
    response = post_pip(client, file_id, **{field: FAR})
    assert response.status_code == 422
    assert BOUND_MESSAGE in error_of(response.text, field)
    assert f'value="{FAR}"' in response.text
    assert client.get(f"/backoffice/newcomers/{file_id}").status_code == 200


def test_the_extension_form_refuses_a_far_date(client, app, staff):
    file_id = make_file(app)
    add_pip(app, file_id, today() - timedelta(days=100), learnability_result="feasible", literacy="NVT")
    response = post_extension(client, file_id, decided_on=FAR)
    assert response.status_code == 422
    assert BOUND_MESSAGE in error_of(response.text, "extension-decided_on")


def test_a_pip_dated_9999_stored_earlier_does_not_break_the_file(client, app, staff):
    file_id = make_file(app)
    add_pip(app, file_id, date(9999, 12, 31), learnability_result="feasible", literacy="NVT")
    page = client.get(f"/backoffice/newcomers/{file_id}")
    assert page.status_code == 200
    assert 'id="pip-heading"' in page.text
    assert client.get(f"/backoffice/newcomers/{file_id}/pip").status_code == 200


@pytest.mark.parametrize("first_pip_on", [date(9999, 12, 31), date(9998, 2, 28), date.max - timedelta(days=500)])
def test_the_term_end_never_overflows(first_pip_on):
    assert pip_services.term_end(first_pip_on, [1096, 1096]) == date.max


def test_the_audit_filter_refuses_a_far_date_instead_of_failing(client, make_staff):
    staff_sign_in(client, make_staff(role="beheerder"))
    response = client.get(f"/admin/audit?date_to={FAR}")
    assert response.status_code in (200, 422)
    assert BOUND_MESSAGE in response.text
    assert re.search(r"9999-12-31", response.text)
