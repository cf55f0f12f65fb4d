"""Outside tests of the web chat (/intake/chat, app/intake/chat.py): a stranger, a shared phone, a
double tap, hostile text, and a new user with JavaScript off.

Without JavaScript every turn is a POST and a 303 redirect; ``X-Requested-With: fetch`` gets the
script's JSON fragments. Tests that found a defect are strict xfails naming it.
"""

from __future__ import annotations

import logging
import re
from html.parser import HTMLParser

import pytest
from flask import Flask
from sqlalchemy import select

from app.extensions import db
from app.models import Filling
from tests.app.intake.test_chat import CHAT, FETCH, chat_through, current_field, say, stored
from tests.conftest import csrf_token, staff_sign_in

RLO = "\u202e"


def token_of(client) -> str:  # noqa: ANN001
    return csrf_token(client.get("/intake/chat").text)


# -- who may chat ----------------------------------------------------------------------------------


def test_a_signed_in_staff_member_has_no_chat(client, make_staff):
    staff_sign_in(client, make_staff())
    assert client.get("/intake/chat").status_code == 404
    assert client.post("/intake/chat", data={"field_id": "preferred_name", "answer": "x"}).status_code in (400, 404)


def test_without_signing_in_nothing_is_stored_and_nothing_is_shown(client, app, newcomer):
    for path in ("/intake/chat", "/intake/chat/back", "/intake/chat/change", "/intake/chat/keep"):
        response = client.post(path, data={"field_id": "preferred_name", "answer": "x"})
        assert response.status_code in (302, 400, 401), path
    response = client.get("/intake/chat", headers=FETCH)
    assert response.status_code in (302, 401)
    with app.app_context():
        assert db.session.scalar(select(Filling)) is None


@pytest.mark.parametrize("method", ["put", "delete", "patch"])
def test_wrong_methods_are_405(signed_in, method):
    for path in ("/intake/chat", "/intake/chat/back", "/intake/chat/change", "/intake/chat/keep"):
        assert getattr(signed_in, method)(path).status_code == 405, path


def test_missing_or_wrong_csrf_is_400_in_both_modes_and_stores_nothing(signed_in, app):
    for headers in ({}, FETCH, {"Accept": "application/json"}):
        for token in (None, "x", ["a", "b"]):
            data = {"field_id": "preferred_name", "answer": "Amal"}
            if token is not None:
                data["csrf_token"] = token
            assert signed_in.post("/intake/chat", data=data, headers=headers).status_code == 400
    with app.app_context():
        assert db.session.scalar(select(Filling.answers)) in (None, {})


# -- bodies and values ---------------------------------------------------------------------------------


def test_a_body_over_the_limit_is_413_not_a_server_error(signed_in, app):
    token = token_of(signed_in)
    response = signed_in.post(
        "/intake/chat", data={"csrf_token": token, "field_id": "preferred_name", "answer": "x" * (1024 * 1024)}
    )
    assert response.status_code == 413
    assert "x" * 1000 not in response.text
    assert stored(app).answers == {}


def test_duplicated_fields_take_the_first_and_skip_beats_an_answer(signed_in, app):
    token = token_of(signed_in)
    response = signed_in.post(
        "/intake/chat",
        data={"csrf_token": token, "field_id": ["preferred_name", "date_of_birth"], "answer": ["Amal", "x"]},
    )
    assert response.status_code == 303
    assert stored(app).answers == {"preferred_name": "Amal"}
    response = signed_in.post(
        "/intake/chat", data={"csrf_token": token, "field_id": "date_of_birth", "answer": "12-03-1984", "skip": "1"}
    )
    assert response.status_code == 422  # a required question cannot be skipped, whatever came along
    assert "date_of_birth" not in stored(app).answers


@pytest.mark.parametrize("field_id", ["", "x" * 5000, "preferred_name ", "answers_true", "../../etc", "1 OR 1=1"])
def test_an_odd_field_id_is_stale_and_changes_nothing(signed_in, app, field_id):
    token = token_of(signed_in)
    response = signed_in.post("/intake/chat", data={"csrf_token": token, "field_id": field_id, "answer": "yes"})
    assert response.status_code == 303
    assert stored(app).answers == {}
    response = signed_in.post("/intake/chat/change", data={"csrf_token": token, "field_id": field_id})
    assert response.status_code == 303
    assert stored(app).reopened is None


def test_control_characters_and_bidi_overrides_never_reach_the_row(signed_in, app):
    response = say(signed_in, "preferred_name", f"{RLO}Amal\x00\x08\u2066 {RLO}")
    assert response.status_code == 303
    name = stored(app).answers["preferred_name"]
    assert name == "Amal"
    reply = say(signed_in, "date_of_birth", "\x0012-03-1984\u202c", headers=FETCH)
    assert reply.status_code == 200
    assert stored(app).answers["date_of_birth"] == "1984-03-12"


def test_scripts_are_escaped_in_the_chat_its_fragments_the_review_and_the_file(signed_in, app, make_staff):
    script = '<script>alert(1)</script><img src=x onerror="alert(2)">'
    reply = say(signed_in, "preferred_name", script, headers=FETCH).json
    for part in (reply["log"], reply["composer"], reply["title"]):
        assert "<script>alert" not in part
        assert "<img src=x" not in part
    page = signed_in.get("/intake/chat").text
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    # A refused answer echoed back and kept in the input: escaped too.
    refused = say(signed_in, "date_of_birth", script)
    assert refused.status_code == 422
    assert "<script>alert" not in refused.text
    assert "<img src=x" not in refused.text
    chat_through(signed_in, {**CHAT, "preferred_name": script})
    assert "<script>alert" not in signed_in.get("/intake/review").text
    with app.app_context():
        row = db.session.scalar(select(Filling))
        row.status = "submitted"
        db.session.commit()
        newcomer_id = row.newcomer_id
    staff = app.test_client()
    staff.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    staff_sign_in(staff, make_staff())
    html = staff.get(f"/backoffice/newcomers/{newcomer_id}").text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script>alert" not in html
    assert "badge--channel-chat" in html


# -- doubles, staleness, after submit ----------------------------------------------------------------


def test_a_double_submit_of_one_answer_answers_once(signed_in, app):
    token = token_of(signed_in)
    data = {"csrf_token": token, "field_id": "preferred_name", "answer": "Amal"}
    first = signed_in.post("/intake/chat", data=data)
    second = signed_in.post("/intake/chat", data={**data, "answer": "Amal again"})
    assert (first.status_code, second.status_code) == (303, 303)
    answers = stored(app).answers
    assert answers == {"preferred_name": "Amal"}
    page = signed_in.get(second.headers["Location"]).text
    assert "This question was already answered. Your answer was not saved." in page
    assert current_field(page) == "date_of_birth"
    # The same with the script: the second turn says so and appends no answer bubble.
    token = token_of(signed_in)
    data = {"csrf_token": token, "field_id": "date_of_birth", "answer": "12-03-1984"}
    assert signed_in.post("/intake/chat", data=data, headers=FETCH).status_code == 200
    again = signed_in.post("/intake/chat", data=data, headers=FETCH)
    assert again.status_code == 200
    assert "redirect" in again.json
    assert stored(app).answers["date_of_birth"] == "1984-03-12"


def test_after_submit_every_chat_post_changes_nothing(signed_in, app):
    chat_through(signed_in, CHAT)
    token = token_of(signed_in)
    assert signed_in.post("/intake/submit", data={"csrf_token": csrf_token(signed_in.get("/intake/review").text)})
    row = stored(app)
    assert row.status == "submitted"
    before = (dict(row.answers), row.reopened, list(row.completed_steps))
    for path, data in (
        ("/intake/chat", {"field_id": "preferred_name", "answer": "changed"}),
        ("/intake/chat/back", {}),
        ("/intake/chat/change", {"field_id": "preferred_name"}),
        ("/intake/chat/keep", {}),
    ):
        for headers in ({}, FETCH):
            response = signed_in.post(path, data={"csrf_token": token, **data}, headers=headers)
            assert response.status_code in (200, 303), path
            if headers:
                assert response.json["redirect"].endswith("/intake/done")
            else:
                assert response.headers["Location"].endswith("/intake/done")
    row = stored(app)
    assert (dict(row.answers), row.reopened, list(row.completed_steps)) == before
    assert signed_in.get("/intake/chat").status_code == 302


# -- a shared phone ---------------------------------------------------------------------------------


def _location_after(client, field_id: str, answer) -> str:  # noqa: ANN001
    response = say(client, field_id, answer)
    assert response.status_code == 303, field_id
    return response.headers["Location"]


def test_no_url_tells_a_sensitive_answer(signed_in, app):
    chat_through(signed_in, CHAT, until="health_limits")
    after_no = {_location_after(signed_in, "health_limits", "no")}
    say(signed_in, "partner", "in_nl")  # and back to change it
    signed_in.post("/intake/chat/change", data={"csrf_token": token_of(signed_in), "field_id": "health_limits"})
    after_yes = {_location_after(signed_in, "health_limits", "physical")}
    assert after_no == after_yes, (after_no, after_yes)


def test_sensitive_answers_are_not_in_the_fetch_reply_nor_in_the_page_title(signed_in):
    chat_through(signed_in, CHAT, until="health_limits")
    reply = say(signed_in, "health_limits", "both", headers=FETCH).json
    text = reply["log"] + reply["composer"] + reply["title"]
    assert "Yes, both" not in text
    reply = say(signed_in, "health_details", "my private illness", headers=FETCH).json
    assert "my private illness" not in reply["log"] + reply["composer"] + reply["title"]
    page = signed_in.get("/intake/chat").text
    assert "my private illness" not in page
    assert "Yes, both" not in page


def test_no_log_line_holds_an_answer(signed_in, caplog):
    caplog.set_level(logging.DEBUG)
    secrets = {"preferred_name": "Zahra-Unique", "date_of_birth": "29-02-1990"}  # the date is refused
    say(signed_in, "preferred_name", secrets["preferred_name"])
    say(signed_in, "date_of_birth", secrets["date_of_birth"])
    say(signed_in, "date_of_birth", "12-03-1984", headers=FETCH)
    signed_in.post("/intake/chat/back", data={"csrf_token": token_of(signed_in)})
    logged = "\n".join(f"{record.getMessage()} {record.args!r}" for record in caplog.records)
    for secret in (*secrets.values(), "1984-03-12", "12-03-1984"):
        assert secret not in logged


# -- a new user, JavaScript off (HTML only) ------------------------------------------------------------


class _Page(HTMLParser):
    """Ids, references to ids, forms and their submit buttons, links, elements hidden by default."""

    def __init__(self) -> None:
        super().__init__()
        self.ids: list[str] = []
        self.refs: list[str] = []
        self.forms: list[dict] = []
        self.links: list[str] = []
        self.labels_for: set[str] = set()
        self.controls: list[dict] = []
        self._hidden_depth = 0
        self._stack: list[tuple[str, bool]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if a.get("id"):
            self.ids.append(a["id"])
        for name in ("aria-labelledby", "aria-describedby", "for", "form"):
            if a.get(name):
                self.refs += a[name].split()
        if tag == "label" and a.get("for"):
            self.labels_for.add(a["for"])
        hidden = "hidden" in a
        void = tag in ("input", "br", "img", "meta", "link", "hr", "source", "path")
        if not void:
            self._stack.append((tag, hidden))
            if hidden:
                self._hidden_depth += 1
        visible = self._hidden_depth == 0 and not (void and hidden)
        if tag == "form":
            self.forms.append({"action": a.get("action"), "submits": 0, "id": a.get("id")})
        if tag == "button" and a.get("type", "submit") == "submit" and visible:
            if a.get("form"):
                target = [f for f in self.forms if f["id"] == a["form"]]
                if target:
                    target[0]["submits"] += 1
            elif self.forms:
                self.forms[-1]["submits"] += 1
        if tag in ("input", "select", "textarea") and a.get("type") not in ("hidden", "submit"):
            self.controls.append({**a, "visible": visible, "tag": tag})
        if tag == "a" and a.get("href") and visible:
            self.links.append(a["href"])

    def handle_endtag(self, tag: str) -> None:
        while self._stack:
            open_tag, hidden = self._stack.pop()
            if hidden:
                self._hidden_depth -= 1
            if open_tag == tag:
                break


def _check_page(text: str, field_id: str | None) -> None:
    page = _Page()
    page.feed(text)
    duplicates = {i for i in page.ids if page.ids.count(i) > 1}
    assert not duplicates, (field_id, duplicates)
    missing = set(page.refs) - set(page.ids)
    assert not missing, (field_id, missing)
    assert 'name="viewport"' in text
    for form in page.forms:
        if form["id"] == "chat-change":
            continue  # its buttons are the "Change" next to each earlier answer
        assert form["submits"] >= 1, (field_id, form)
    for control in page.controls:
        if not control["visible"]:
            continue
        named = control.get("aria-labelledby") or control.get("id") in page.labels_for or control.get("aria-label")
        assert named, (field_id, control)
    assert "/intake/" in " ".join(page.links)  # the way to the form (no dead end)
    if field_id is None:
        assert "/intake/review" in page.links


def test_every_page_of_the_whole_chat_works_as_html_alone(signed_in):
    """Walk the whole intake in the chat: each page has unique ids, every reference resolves, every
    visible control has a label, every form a visible submit button, and a way on (no dead end)."""
    seen = 0
    while True:
        text = signed_in.get("/intake/chat").text
        field_id = current_field(text)
        _check_page(text, field_id)
        if field_id is None:
            break
        refused = say(signed_in, field_id, "\u2063" if field_id != "email" else "not-an-email")
        if refused.status_code == 422:
            _check_page(refused.text, field_id)
        answer = CHAT[field_id]
        assert say(signed_in, field_id, answer).status_code == 303, field_id
        seen += 1
    assert seen >= 40


def test_the_first_visit_and_the_end_are_not_dead_ends(signed_in):
    first = signed_in.get("/intake/chat").text
    assert current_field(first) == "preferred_name"
    assert "Change my last answer" not in first  # nothing to change yet
    assert "Skip" in first  # the first question is optional
    assert re.search(r'<button type="button" class="chat-speak" hidden>', first)  # no voice without the script
    chat_through(signed_in, CHAT)
    end = signed_in.get("/intake/chat").text
    assert "You answered all the questions." in end
    assert 'href="/intake/review"' in end
    assert "Change my last answer" in end


def test_the_chat_page_asks_for_no_script_or_style_from_elsewhere(signed_in, app: Flask):
    text = signed_in.get("/intake/chat").text
    for src in re.findall(r'(?:src|href)="([^"]+)"', text):
        assert src.startswith(("/", "#")), src
    assert "<script>" not in text  # nothing inline (CSP: script-src 'self')
    assert " onclick=" not in text


def test_two_answers_at_once_from_two_tabs_and_an_sms_are_no_server_error(signed_in, app, newcomer, monkeypatch):
    """Two tabs and the phone answer the same question at the same moment (real threads): no 500,
    no deadlock, and the row stays one consistent filling-in (one answer, its channel recorded)."""
    import threading

    from app.intake import sms as intake_sms
    from app.models import Newcomer
    from tests.app.test_webhooks import BASE, INBOUND, TOKEN, new_sid, signed, sms_from

    monkeypatch.setitem(app.config, "TWILIO_AUTH_TOKEN", TOKEN)
    monkeypatch.setitem(app.config, "PUBLIC_BASE_URL", BASE + "/")
    with app.app_context():
        intake_sms.start(db.session.get(Newcomer, newcomer.id), actor=("newcomer", newcomer.id))
    token = token_of(signed_in)
    tabs = []
    for _ in range(2):
        tab = app.test_client()
        tab.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
        for cookie in signed_in._cookies.values():  # the same signed-in browser, another tab
            tab.set_cookie(cookie.key, cookie.value, domain=cookie.domain, path=cookie.path)
        tabs.append(tab)
    codes: list[int] = []
    barrier = threading.Barrier(3)

    def tab_answers(tab, value: str) -> None:  # noqa: ANN001
        barrier.wait()
        data = {"csrf_token": token, "field_id": "preferred_name", "answer": value}
        codes.append(tab.post("/intake/chat", data=data).status_code)

    def phone_answers() -> None:
        barrier.wait()
        codes.append(
            signed(app.test_client(), INBOUND, sms_from(newcomer.phone, "Amal-sms", sid=new_sid())).status_code
        )

    threads = [threading.Thread(target=tab_answers, args=(tab, f"Amal-tab{n}")) for n, tab in enumerate(tabs)]
    threads.append(threading.Thread(target=phone_answers))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "deadlock"
    assert sorted(codes) == [200, 303, 303], codes
    row = stored(app)
    assert row.answers["preferred_name"] in ("Amal-tab0", "Amal-tab1", "Amal-sms")
    expected = "sms" if row.answers["preferred_name"] == "Amal-sms" else "chat"
    assert row.answer_channels["preferred_name"] == expected
    assert current_field(signed_in.get("/intake/chat").text) == "date_of_birth"
