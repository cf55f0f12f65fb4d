"""Languages: choice order, direction, switcher, localised formats, complete catalogs."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.extensions import db
from app.i18n import LANGUAGES
from app.i18n_tools import catalog_problems, load_template
from app.models import Newcomer
from tests.conftest import csrf_token, sign_in

CODES = [language.code for language in LANGUAGES]


def test_the_seven_languages_are_shipped():
    assert CODES == ["nl", "en", "ar", "ti", "fa", "tr", "so"]


@pytest.mark.parametrize("code", CODES)
def test_every_catalog_is_complete_and_consistent(code):
    assert catalog_problems(code, load_template()) == []


def test_catalog_check_catches_problems(tmp_path, monkeypatch):
    from babel.messages.catalog import Catalog
    from babel.messages.pofile import write_po

    import app.i18n_tools as tools

    catalog = Catalog(locale="nl")
    catalog.add("Use at most %(max)s characters.", "Gebruik hoogstens %(maximum)s tekens.")
    catalog.add("Yes", "")
    catalog.add("No", "Nee", flags=["fuzzy"])
    (tmp_path / "nl" / "LC_MESSAGES").mkdir(parents=True)
    with (tmp_path / "nl" / "LC_MESSAGES" / "messages.po").open("wb") as handle:
        write_po(handle, catalog)
    monkeypatch.setattr(tools, "ROOT", tmp_path)
    problems = tools.catalog_problems("nl")
    assert "nl: placeholders differ: 'Use at most %(max)s characters.'" in problems
    assert "nl: untranslated: 'Yes'" in problems
    assert "nl: fuzzy: 'No'" in problems


@pytest.mark.parametrize(
    ("header", "lang", "direction"),
    [
        ("ar,en;q=0.5", "ar", "rtl"),
        ("fa-IR", "fa", "rtl"),
        ("ti-ER", "ti", "ltr"),
        ("de-DE", "nl", "ltr"),
        ("", "nl", "ltr"),
        ("so", "so", "ltr"),
        ("tr-TR,tr;q=0.9", "tr", "ltr"),
    ],
)
def test_accept_language_then_dutch(client, header, lang, direction):
    page = client.get("/", headers={"Accept-Language": header})
    assert f'<html lang="{lang}" dir="{direction}">' in page.text


def test_switcher_names_each_language_in_itself(client):
    page = client.get("/")
    for name in ("Nederlands", "English", "العربية", "ትግርኛ", "فارسی", "Türkçe", "Soomaali"):
        assert name in page.text
    assert 'lang="ar" dir="rtl"' in page.text


def test_picked_language_beats_the_browser(client):
    page = client.get("/login")
    response = client.post("/language", data={"csrf_token": csrf_token(page.text), "lang": "fa", "next": "/login"})
    assert response.headers["Location"] == "/login"
    assert '<html lang="fa" dir="rtl">' in client.get("/login").text


def test_unknown_language_is_refused(client):
    page = client.get("/login")
    assert client.post("/language", data={"csrf_token": csrf_token(page.text), "lang": "xx"}).status_code == 400


def test_signed_in_choice_is_stored_on_the_profile(client, app, newcomer):
    sign_in(client, newcomer)
    page = client.get("/intake/about_you")
    client.post("/language", data={"csrf_token": csrf_token(page.text), "lang": "ti", "next": "/intake/about_you"})
    with app.app_context():
        assert db.session.scalar(select(Newcomer.language)) == "ti"
    other_device = app.test_client()
    other_device.environ_base["HTTP_ACCEPT_LANGUAGE"] = "nl"
    sign_in(other_device, newcomer)
    assert '<html lang="ti" dir="ltr">' in other_device.get("/intake/about_you").text


def test_profile_language_beats_the_browser(client, make_newcomer):
    sign_in(client, make_newcomer(language="so"))
    assert '<html lang="so"' in client.get("/intake/about_you", headers={"Accept-Language": "nl"}).text


@pytest.mark.parametrize("code", CODES)
def test_every_intake_step_renders_in_every_language(client, app, make_newcomer, code):
    sign_in(client, make_newcomer(language=code))
    page = client.get("/intake/about_you")
    assert page.status_code == 200
    assert f'<html lang="{code}"' in page.text


def test_dates_are_formatted_per_locale(client, app, make_newcomer):
    from tests.app.test_intake import complete

    sign_in(client, make_newcomer(language="nl"))
    complete(client)
    review = client.get("/intake/review")
    assert "14 maart 1985" in review.text


def test_every_workflow_text_is_in_the_catalog_template():
    from workflows import WORKFLOWS

    extracted = {m.id for m in load_template() if isinstance(m.id, str)}
    missing = [text for workflow in WORKFLOWS.values() for text in workflow.texts() if text not in extracted]
    assert missing == []


def test_names_in_any_script_are_isolated_with_bdi(client, make_newcomer):
    sign_in(client, make_newcomer(name="ዮናስ <Yonas> ተስፋይ", language="ti"))
    page = client.get("/intake/about_you").text
    assert "<bdi>ዮናስ &lt;Yonas&gt; ተስፋይ</bdi>" in page
