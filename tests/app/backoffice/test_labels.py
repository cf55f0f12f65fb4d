"""Languages as staff read them: "Tigrinya (ትግርኛ)", not the own-script name alone; no language preselected."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from app.backoffice.labels import language_label, staff_languages
from app.extensions import db
from app.models import Newcomer, Staff
from tests.app.backoffice.test_casefiles import make_file, register
from tests.conftest import staff_sign_in


def read_in(app, login, language: str) -> None:  # noqa: ANN001
    with app.app_context():
        db.session.get(Staff, login.id).language = language
        db.session.commit()


@pytest.fixture
def english_km(client, app, make_staff):  # noqa: ANN001, ANN201
    login = make_staff()
    read_in(app, login, "en")
    staff_sign_in(client, login)
    return client


@pytest.mark.parametrize(
    ("code", "locale", "label"),
    [
        ("ti", "en", "Tigrinya (ትግርኛ)"),
        ("fa", "en", "Persian (فارسی)"),
        ("ar", "en", "Arabic (العربية)"),
        ("so", "en", "Somali (Soomaali)"),
        ("en", "en", "English"),
        ("ti", "nl", "Tigrinya (ትግርኛ)"),
        ("fa", "nl", "Perzisch (فارسی)"),
        ("tr", "nl", "Turks (Türkçe)"),
        ("nl", "nl", "Nederlands"),
        ("xx", "en", "xx"),
        ("", "en", ""),
    ],
)
def test_language_label(app, code, locale, label):
    from flask_babel import force_locale

    with app.test_request_context(), force_locale(locale):
        assert language_label(code) == label


def test_staff_languages_keep_the_codes_and_directions(app):
    with app.test_request_context():
        languages = staff_languages()
    assert [language.code for language in languages] == ["nl", "en", "ar", "ti", "fa", "tr", "so"]
    assert [language.direction for language in languages if language.direction == "rtl"] == ["rtl", "rtl"]


def test_the_register_form_has_no_language_preselected(english_km):
    page = english_km.get("/backoffice/newcomers/new")
    select_html = page.text.split('id="language"')[1].split("</select>")[0]
    options = re.findall(r"<option([^>]*)>([^<]*)</option>", select_html)
    assert options[0][1] == "Choose a language"
    assert 'value=""' in options[0][0]
    assert all("selected" not in attrs for attrs, _label in options[1:])
    assert "Tigrinya (ትግርኛ)" in [label for _attrs, label in options]


def test_registering_without_choosing_a_language_is_a_message_next_to_the_field(english_km, app):
    response = register(english_km, language="")
    assert response.status_code == 422
    assert 'id="language-error">Choose a language.<' in response.text
    assert 'value="ዮናስ ተስፋይ"' in response.text
    with app.app_context():
        assert db.session.scalar(select(Newcomer.id)) is None


def test_caseload_column_filter_and_file_page_name_the_language_in_the_staff_language(english_km, app):
    file_id = make_file(app)
    with app.app_context():
        db.session.get(Newcomer, file_id).language = "ti"
        db.session.commit()
    caseload = english_km.get("/backoffice/caseload?klantmanager=all").text
    assert re.search(r'<option value="ti"[^>]*>Tigrinya \(ትግርኛ\)</option>', caseload)
    assert ">Tigrinya (ትግርኛ)</td>" in caseload
    assert "Tigrinya (ትግርኛ)" in english_km.get(f"/backoffice/newcomers/{file_id}").text
