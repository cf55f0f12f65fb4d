"""Languages: choice order, direction, switcher, localised formats, complete catalogs."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from flask_babel import force_locale, gettext
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


def _switch(client, lang: str, where: str = "/intake/about_you"):  # noqa: ANN001, ANN202
    page = client.get(where)
    return client.post("/language", data={"csrf_token": csrf_token(page.text), "lang": lang, "next": where})


def _profile_language(app) -> str:  # noqa: ANN001
    with app.app_context():
        return db.session.scalar(select(Newcomer.language))


def _answer(client, choice: str, where: str = "/intake/about_you"):  # noqa: ANN001, ANN202
    page = client.get(where)
    data = {"csrf_token": csrf_token(page.text), "messages": choice, "next": where}
    return client.post("/language/messages", data=data)


def test_a_newcomers_tap_on_the_menu_changes_the_page_and_asks_about_messages(client, app, newcomer):
    sign_in(client, newcomer)
    response = _switch(client, "ti")
    assert response.headers["Location"] == "/intake/about_you"
    assert _profile_language(app) == "en"  # nothing changed silently
    page = client.get("/intake/about_you").text
    assert '<html lang="ti" dir="ltr">' in page  # this device reads Tigrinya now
    assert 'action="/language/messages"' in page
    assert 'value="page"' in page
    assert 'value="keep"' in page
    assert "(English)" in page  # the SMS language by name, not by code
    assert 'class="message-language"' in client.get("/intake/about_you").text  # until answered


def test_messages_follow_the_page_language_only_when_asked(client, app, newcomer):
    sign_in(client, newcomer)
    _switch(client, "ti")
    response = _answer(client, "page")
    assert response.headers["Location"] == "/intake/about_you"
    assert _profile_language(app) == "ti"
    assert 'class="message-language"' not in client.get("/intake/about_you").text
    other_device = app.test_client()
    other_device.environ_base["HTTP_ACCEPT_LANGUAGE"] = "nl"
    sign_in(other_device, newcomer)
    assert '<html lang="ti" dir="ltr">' in other_device.get("/intake/about_you").text


def test_keeping_the_message_language_keeps_the_profile(client, app, newcomer):
    sign_in(client, newcomer)
    _switch(client, "fa")
    _answer(client, "keep")
    assert _profile_language(app) == "en"
    page = client.get("/intake/about_you").text
    assert '<html lang="fa" dir="rtl">' in page
    assert 'class="message-language"' not in page
    _switch(client, "en")  # back to the profile's language: nothing to ask
    assert 'class="message-language"' not in client.get("/intake/about_you").text


def test_the_message_language_answer_needs_its_csrf_token_and_a_choice(client, app, newcomer):
    sign_in(client, newcomer)
    _switch(client, "so")
    page = client.get("/intake/about_you")
    assert client.post("/language/messages", data={"messages": "page"}).status_code == 400
    bad = client.post("/language/messages", data={"csrf_token": csrf_token(page.text), "messages": "x"})
    assert bad.status_code == 400
    evil = client.post(
        "/language/messages", data={"csrf_token": csrf_token(page.text), "messages": "keep", "next": "//evil.example"}
    )
    assert evil.headers["Location"] == "/"
    assert _profile_language(app) == "en"


def test_signed_out_visitors_are_never_asked(client):
    page = client.get("/login")
    client.post("/language", data={"csrf_token": csrf_token(page.text), "lang": "ar", "next": "/login"})
    assert 'class="message-language"' not in client.get("/login").text


def test_staff_language_is_stored_on_their_profile_at_once(klantmanager, app):
    from app.models import Staff

    response = _switch(klantmanager, "tr", "/backoffice/caseload")
    assert response.headers["Location"] == "/backoffice/caseload"
    with app.app_context():
        assert db.session.scalar(select(Staff.language)) == "tr"


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


# -- the newcomer's copy, the klantmanager gloss, one digit system ---------------------------------


def test_the_printable_export_is_in_the_newcomers_language_with_language_names(client, app, make_staff):
    from tests.app.backoffice.test_casefiles import make_file, newcomer_submits
    from tests.conftest import staff_sign_in

    file_id = make_file(app)
    with app.app_context():
        db.session.get(Newcomer, file_id).language = "so"
        db.session.commit()
    newcomer_submits(app, file_id)
    staff_sign_in(client, make_staff())
    page = client.get(f"/backoffice/newcomers/{file_id}/export")
    assert '<html lang="so" dir="ltr">' in page.text
    assert "Soomaali" in page.text
    assert "<dd>so</dd>" not in page.text
    with app.test_request_context(), force_locale("so"):
        assert gettext("Everything we hold") in page.text
        assert gettext("Privacy and agreement") in page.text  # the intake's steps in Somali too
    dutch = client.get(f"/backoffice/newcomers/{file_id}/export?lang=nl")
    assert '<html lang="nl" dir="ltr">' in dutch.text
    assert "Somalisch (Soomaali)" in dutch.text
    assert "Alles wat we bewaren" in dutch.text
    file_page = client.get(f"/backoffice/newcomers/{file_id}")
    assert f"/backoffice/newcomers/{file_id}/export?lang=nl" in file_page.text


def test_the_privacy_notice_the_newcomer_reads_is_translated(client, app, make_newcomer):
    from workflows import get_workflow

    intro = get_workflow("brede_intake").step("consent").intro
    for code in ("ar", "so", "fa"):
        with app.test_request_context(), force_locale(code):
            assert gettext(intro) != intro, code


GLOSS = re.compile(r'<span class="term-gloss">')


@pytest.mark.parametrize("code", CODES)
def test_klantmanager_is_explained_once_the_first_time_a_page_uses_it(client, app, make_newcomer, code):
    from tests.app.test_intake import complete

    sign_in(client, make_newcomer(language=code))
    complete(client, upto="health")
    page = client.get("/intake/health").text
    main = page.split('<main id="main"', 1)[1]
    assert "klantmanager" in main.casefold()
    with app.test_request_context(), force_locale(code):
        gloss = gettext("your contact person at the municipality")
    first = main.casefold().index("klantmanager")
    explained = len(GLOSS.findall(main)) == 1 and main.index(gloss) > first
    own = re.search(r"klantmanager[^(<]{0,12}\(", main, re.IGNORECASE)  # the translation explains it itself
    assert explained or own, code
    assert len(GLOSS.findall(main)) <= 1


def test_a_translation_that_explains_the_term_itself_gets_no_second_gloss(app):
    from markupsafe import Markup

    from app.templating import explain

    with app.test_request_context():
        assert explain("Alleen je klantmanager (je contactpersoon) ziet dit.") == Markup(
            "Alleen je klantmanager (je contactpersoon) ziet dit."
        )
    with app.test_request_context():
        assert "term-gloss" not in explain("فقط klantmanager شما (مسئول پرونده شما) می‌بیند")
        assert "term-gloss" not in explain("En je klantmanager weer.")  # once per page
    with app.test_request_context():
        text = explain("Klantmanager'ınızın <b>sorusu</b>")
        assert text.startswith('Klantmanager&#39;ınızın<span class="term-gloss">')
        assert "&lt;b&gt;" in text


def test_persian_pages_use_persian_digits_only(client, make_newcomer):
    sign_in(client, make_newcomer(language="fa"))
    page = client.get("/intake/about_you").text
    visible = re.sub(r"<[^>]+>", " ", page.split('<main id="main"', 1)[1])
    assert "۱" in visible
    assert not re.search(r"[0-9]", visible.replace("+31 6 12345678", "")), "Latin digits on a Persian page"


def test_arabic_follows_cldrs_default_latin_digits(client, make_newcomer):
    sign_in(client, make_newcomer(language="ar"))
    page = client.get("/intake/about_you").text
    assert not re.search(r"[٠-٩۰-۹]", page.split('<main id="main"', 1)[1])


# -- pages rendered in Dutch (the check in tests/conftest.py scans every one) -----------------------


def test_the_english_msgid_check_finds_an_untranslated_string():
    from tests.conftest import english_fragments

    english = "Your answers are saved at every step. You can stop and continue later, also on another phone."
    assert english_fragments(f'<html lang="nl"><p class="x">{english}</p>') == [english]
    spread = "<p>" + english.replace(" at every ", "\n  at <b>every</b> ").replace("also on", "also\n on")
    assert english_fragments(spread) == [english]
    assert english_fragments('<a title="Please answer this question.">') == ["Please answer this question."]
    assert english_fragments('<a aria-label="Is everything right? You can still change your answers.">') == []
    assert english_fragments("<p>Je antwoorden worden bij elke stap bewaard.</p>") == []
    assert english_fragments("<p>Step 3 of 11</p>") == []  # too short to tell
    sms = '<p dir="auto" lang="en">Municipality of Hoorn: welcome! Start your intake here: ••••••</p>'
    assert english_fragments(sms) == []  # marked as English on purpose (a recorded SMS)
    welcome = ": welcome! Start your intake here:"  # the fragment of the msgid between its placeholders
    assert english_fragments(sms.replace('lang="en"', 'lang="nl"')) == [welcome]


def test_a_dutch_newcomer_walks_the_whole_intake_in_dutch(client, app, make_newcomer):
    from tests.app.test_intake import WEB, post_step

    sign_in(client, make_newcomer(language="nl"))
    for step_id, data in WEB.items():
        page = client.get(f"/intake/{step_id}")
        assert '<html lang="nl"' in page.text
        assert post_step(client, step_id, data).status_code == 302
    review = client.get("/intake/review")
    assert '<html lang="nl"' in review.text
    client.post("/intake/submit", data={"csrf_token": csrf_token(review.text)})
    assert '<html lang="nl"' in client.get("/intake/done").text
    assert '<html lang="nl"' in client.get("/intake/sent").text
    visitor = app.test_client()
    assert '<html lang="nl"' in visitor.get("/login", headers={"Accept-Language": "nl"}).text


def test_staff_pages_in_dutch(client, app, make_staff):
    from app.models import Staff
    from tests.app.backoffice.test_casefiles import make_file, newcomer_submits
    from tests.conftest import staff_sign_in

    file_id = make_file(app)
    newcomer_submits(app, file_id)
    login = make_staff()
    with app.app_context():
        db.session.get(Staff, login.id).language = "nl"  # staff read Dutch by default
        db.session.commit()
    staff_sign_in(client, login)
    for path in (
        "/backoffice/caseload",
        f"/backoffice/newcomers/{file_id}",
        f"/backoffice/newcomers/{file_id}/export?lang=nl",
        "/backoffice/newcomers/new",
    ):
        page = client.get(path)
        assert page.status_code == 200, path
        assert '<html lang="nl"' in page.text, path


_GETTEXT_NAMES = {"_", "_l", "N_", "gettext", "lazy_gettext", "ngettext", "lazy_ngettext", "pgettext"}


def _literal_msgids(tree: ast.AST) -> list[tuple[int, str]]:
    """(line, msgid) of every translation call whose first argument is a string literal."""
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or not node.args:
            continue
        name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", None)
        first = node.args[1] if name == "pgettext" and len(node.args) > 1 else node.args[0]
        if name in _GETTEXT_NAMES and isinstance(first, ast.Constant) and isinstance(first.value, str):
            found.append((node.lineno, first.value))
    return found


def test_every_marked_string_in_the_code_reaches_the_catalog_template():
    """Babel skips calls it cannot read (inside an f-string, for one): such a text is never translated."""
    template = {message.id if isinstance(message.id, str) else message.id[0] for message in load_template()}
    root = Path(__file__).resolve().parents[2]
    missing = []
    for package in ("app", "forms", "workflows"):
        for path in sorted((root / package).rglob("*.py")):
            for line, msgid in _literal_msgids(ast.parse(path.read_text(encoding="utf-8"))):
                if msgid and msgid not in template:
                    missing.append(f"{path.relative_to(root)}:{line}: {msgid!r}")
    assert not missing, "marked but not extracted (run scripts/translations update):\n" + "\n".join(missing)
