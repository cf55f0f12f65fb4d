"""The klantmanager's work: register, caseload, review (approve or return), notes, status history."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Filling, Newcomer, Note, OutboundMessage, StatusChange
from app.models.types import local_today
from tests.app.test_intake import complete
from tests.conftest import csrf_token, sign_in, staff_sign_in

VALID_BSN = "111222333"  # passes the eleven-test


def register(client, **overrides):  # noqa: ANN001, ANN003, ANN201
    page = client.get("/backoffice/newcomers/new")
    municipality = re.search(r'<option value="(\d+)"', page.text.split('id="municipality"')[1]).group(1)
    data = {
        "csrf_token": csrf_token(page.text),
        "name": "ዮናስ ተስፋይ",
        "phone": "06 1234 5699",
        "language": "ti",
        "doelgroep": "statushouder",
        "municipality": municipality,
        "duo_notified_on": "2026-10-01",
        "settled_on": "",
        "bsn": "",
    }
    data.update(overrides)
    return client.post("/backoffice/newcomers/new", data=data)


def search(client, q: str, **filters: str):  # noqa: ANN001, ANN201
    """Search the caseload by name, as the search form does (the name goes in the body, not the URL)."""
    page = client.get("/backoffice/caseload")
    data = {"csrf_token": csrf_token(page.text), "q": q, "klantmanager": "all", **filters}  # files of the whole team
    response = client.post("/backoffice/caseload/search", data=data)
    assert response.status_code == 302
    assert q not in response.headers["Location"] or not q
    return client.get(response.headers["Location"])


def newcomer_id(app, phone: str = "+31612345699") -> int:  # noqa: ANN001
    with app.app_context():
        return db.session.scalar(select(Newcomer.id).where(Newcomer.phone == phone))


def test_register_sends_the_invitation_in_the_newcomers_language(klantmanager, app, sms, audit_log):
    response = register(klantmanager)
    assert response.status_code == 302
    assert len(sms.sent) == 1
    to, body = sms.sent[0]
    assert to == "+31612345699"
    assert "/i/" in body
    assert "Welcome" not in body  # Tigrinya, not English
    with app.app_context():
        newcomer = db.session.scalar(select(Newcomer))
        assert newcomer.status == "invited"
        assert newcomer.pip_deadline_on == date(2026, 10, 1) + timedelta(weeks=10)
        statuses = db.session.scalars(select(StatusChange.to_status).order_by(StatusChange.id)).all()
        assert statuses == ["registered", "invited"]
    assert [e.action for e in audit_log(record_type="newcomer")] == ["file.created", "file.assigned", "file.invited"]


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("phone", "12345", "Type a valid phone number"),
        ("bsn", "123456789", "eleven-test"),
        ("name", "", "Please fill in a name."),
        ("duo_notified_on", "", "Fill in the date of DUO"),
    ],
)
def test_register_validation(klantmanager, field, value, message):
    response = register(klantmanager, **{field: value})
    assert response.status_code == 422
    assert message in response.text
    assert "ዮናስ ተስፋይ" in response.text or field == "name"  # what was typed is kept


def test_bsn_is_masked_and_never_in_urls_or_sms(klantmanager, app, sms):
    register(klantmanager, bsn=VALID_BSN)
    page = klantmanager.get(f"/backoffice/newcomers/{newcomer_id(app)}")
    assert "******333" in page.text
    assert VALID_BSN not in page.text
    assert VALID_BSN not in sms.sent[0][1]


def test_same_phone_twice_is_refused(klantmanager):
    register(klantmanager)
    response = register(klantmanager, name="Someone Else")
    assert response.status_code == 422
    assert "registered already" in response.text


def test_resend_invitation(klantmanager, app, sms):
    register(klantmanager)
    assert len(sms.sent) == 1  # the worker sent the first invitation
    file_id = newcomer_id(app)
    page = klantmanager.get(f"/backoffice/newcomers/{file_id}")
    klantmanager.post(f"/backoffice/newcomers/{file_id}/invitation", data={"csrf_token": csrf_token(page.text)})
    assert len(sms.sent) == 2
    assert sms.sent[0][1] != sms.sent[1][1]  # a new link


def test_an_invitation_replaced_before_it_was_sent_is_cancelled_not_sent(klantmanager, app, sms):
    from app.models import OutboundMessage

    register(klantmanager)
    file_id = newcomer_id(app)
    page = klantmanager.get(f"/backoffice/newcomers/{file_id}")
    klantmanager.post(f"/backoffice/newcomers/{file_id}/invitation", data={"csrf_token": csrf_token(page.text)})
    assert len(sms.sent) == 1  # only the link that still works
    with app.app_context():
        statuses = [m.status for m in db.session.scalars(select(OutboundMessage).order_by(OutboundMessage.id))]
        reasons = [
            m.events[-1].detail for m in db.session.scalars(select(OutboundMessage).order_by(OutboundMessage.id))
        ]
    assert statuses == ["cancelled", "sent"]
    assert reasons[0] == "invitation_not_usable"


def make_file(
    app,
    municipality_code: str = "0405",
    name: str = "Amal",
    phone: str = "+31612345601",  # noqa: ANN001
    status: str = "invited",
    deadline: date | None = None,
    **fields,
) -> int:  # noqa: ANN003
    from app.models import Municipality

    with app.app_context():
        municipality = db.session.scalar(select(Municipality).where(Municipality.code == municipality_code))
        newcomer = Newcomer(
            name=name,
            phone=phone,
            municipality_id=municipality.id,
            language="en",
            status=status,
            pip_deadline_on=deadline,
            **fields,
        )
        db.session.add(newcomer)
        db.session.commit()
        return newcomer.id


def test_caseload_filters_search_sort_and_flags(klantmanager, app):
    today = local_today()
    make_file(app, name="Amal", phone="+31612345601", deadline=today - timedelta(days=1))
    make_file(app, name="Yonas", phone="+31612345602", deadline=today + timedelta(days=5), doelgroep="statushouder")
    make_file(
        app,
        name="Mehmet",
        phone="+31612345604",
        deadline=today + timedelta(days=60),
        doelgroep="gezinsmigrant_overig",
        status="intake_submitted",
    )
    page = klantmanager.get("/backoffice/caseload?klantmanager=all")  # these files have no klantmanager
    assert page.text.index("Amal") < page.text.index("Yonas") < page.text.index("Mehmet")  # by deadline
    assert "overdue" in page.text
    assert "within 2 weeks" in page.text
    assert "3 files" in page.text
    only = klantmanager.get("/backoffice/caseload?doelgroep=gezinsmigrant_overig&klantmanager=all").text
    assert "Mehmet" in only
    assert "Amal" not in only
    found = search(klantmanager, "yon", status="")
    assert "Yonas" in found.text
    assert "Amal" not in found.text
    assert 'value="yon"' in klantmanager.get("/backoffice/caseload?kept=1&klantmanager=all").text  # it stays, visibly
    search(klantmanager, "")
    assert "Amal" not in klantmanager.get("/backoffice/caseload?status=intake_submitted&klantmanager=all").text
    by_name = klantmanager.get("/backoffice/caseload?sort=name&order=desc&klantmanager=all").text
    assert by_name.index("Yonas") < by_name.index("Mehmet") < by_name.index("Amal")


def test_caseload_pages(klantmanager, app):
    for n in range(30):
        make_file(app, name=f"Person {n:02d}", phone=f"+316123457{n:02d}")
    first = klantmanager.get("/backoffice/caseload?sort=name&klantmanager=all")
    assert "Page 1 of 2" in first.text
    assert "Person 24" in first.text
    assert "Person 25" not in first.text
    second = klantmanager.get("/backoffice/caseload?sort=name&page=2&klantmanager=all")
    assert "Person 25" in second.text
    assert klantmanager.get("/backoffice/caseload?page=abc").status_code == 400
    assert "No files match" in search(klantmanager, "nobody").text


def test_caseload_search_is_not_sql(klantmanager, app):
    make_file(app, name="O'Brien 100%_x")
    assert "O&#39;Brien" in search(klantmanager, "%_").text
    assert "1 file" in search(klantmanager, "'").text


def session_cookie_text(client) -> str:  # noqa: ANN001
    """What the signed (not encrypted) session cookie carries, decoded."""
    import base64
    import zlib

    value = client.get_cookie("intake_session").value
    payload = value.split(".")[1 if value.startswith(".") else 0]
    raw = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    return (zlib.decompress(raw) if value.startswith(".") else raw).decode()


def newcomer_submits(app, person_id: int) -> object:  # noqa: ANN001
    from tests.conftest import Person

    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    with app.app_context():
        row = db.session.get(Newcomer, person_id)
        person = Person(row.id, row.name, row.phone, row.language)
    sign_in(client, person)
    complete(client)
    review = client.get("/intake/review")
    client.post("/intake/submit", data={"csrf_token": csrf_token(review.text)})
    return client


def test_review_return_with_a_question_then_approve(klantmanager, app, sms, audit_log):
    file_id = make_file(app)
    newcomer = newcomer_submits(app, file_id)
    page = klantmanager.get(f"/backoffice/newcomers/{file_id}")
    assert "Intake submitted" in page.text
    assert "<bdi>أمل 🌸</bdi>" in page.text  # free text exactly as written
    response = klantmanager.post(
        f"/backoffice/newcomers/{file_id}/return",
        data={"csrf_token": csrf_token(page.text), "question": "How many children <b>exactly</b>?"},
    )
    assert response.status_code == 302
    assert "question about your intake" in sms.sent[-1][1]
    assert "children" not in sms.sent[-1][1]  # the question itself never goes by SMS
    # The newcomer sees the question, changes an answer and sends the intake again.
    review = newcomer.get("/intake/", follow_redirects=True)
    assert review.request.path == "/intake/review"
    assert "How many children &lt;b&gt;exactly&lt;/b&gt;?" in review.text
    step = newcomer.get("/intake/family")
    assert "How many children" in step.text
    newcomer.post(
        "/intake/family",
        data={
            "csrf_token": csrf_token(step.text),
            "partner": "none",
            "has_children": "yes",
            "children_count": "3",
            "children_under_4": "no",
            "needs_childcare": "no",
        },
    )
    review = newcomer.get("/intake/review")
    newcomer.post("/intake/submit", data={"csrf_token": csrf_token(review.text)})
    page = klantmanager.get(f"/backoffice/newcomers/{file_id}")
    assert "Intake submitted" in page.text
    klantmanager.post(f"/backoffice/newcomers/{file_id}/approve", data={"csrf_token": csrf_token(page.text)})
    with app.app_context():
        assert db.session.get(Newcomer, file_id).status == "intake_approved"
        assert db.session.scalar(select(Filling.answers))["children_count"] == 3
        history = db.session.scalars(select(StatusChange.to_status).order_by(StatusChange.id)).all()
        assert history[-4:] == ["intake_submitted", "returned", "intake_submitted", "intake_approved"]
        kinds = db.session.scalars(select(OutboundMessage.kind).order_by(OutboundMessage.id)).all()
        assert kinds[-3:] == ["intake_received", "intake_returned", "intake_received"]  # a receipt each time
    assert newcomer.get("/intake/", follow_redirects=True).request.path == "/intake/done"
    actions = [e.action for e in audit_log(record_type="newcomer")]
    assert "intake.returned" in actions
    assert "intake.approved" in actions
    assert actions.count("file.viewed") >= 2


def test_approve_or_return_only_a_submitted_intake(klantmanager, app):
    file_id = make_file(app)
    page = klantmanager.get(f"/backoffice/newcomers/{file_id}")
    response = klantmanager.post(
        f"/backoffice/newcomers/{file_id}/approve", data={"csrf_token": csrf_token(page.text)}, follow_redirects=True
    )
    assert "Only a submitted intake can be approved." in response.text
    response = klantmanager.post(
        f"/backoffice/newcomers/{file_id}/return",
        data={"csrf_token": csrf_token(page.text), "question": "?"},
        follow_redirects=True,
    )
    assert "Only a submitted intake can be returned." in response.text


def test_notes_and_manual_status(klantmanager, app):
    file_id = make_file(app)
    page = klantmanager.get(f"/backoffice/newcomers/{file_id}")
    klantmanager.post(
        f"/backoffice/newcomers/{file_id}/notes",
        data={"csrf_token": csrf_token(page.text), "body": "Belt liever 's avonds. <script>"},
    )
    klantmanager.post(
        f"/backoffice/newcomers/{file_id}/status",
        data={"csrf_token": csrf_token(page.text), "status": "moved_away", "comment": "Naar Utrecht"},
    )
    page = klantmanager.get(f"/backoffice/newcomers/{file_id}")
    assert "Belt liever &#39;s avonds. &lt;script&gt;" in page.text
    assert "Moved away" in page.text
    assert "Naar Utrecht" in page.text
    with app.app_context():
        assert db.session.scalar(select(Note.body)) == "Belt liever 's avonds. <script>"
    bad = klantmanager.post(
        f"/backoffice/newcomers/{file_id}/status", data={"csrf_token": csrf_token(page.text), "status": "pip_set"}
    )
    assert bad.status_code == 422  # only the statuses set by hand: the form again, with a message


def test_beleidsmedewerker_sees_counts_but_no_personal_file(client, app, make_staff):
    file_id = make_file(app)
    staff_sign_in(client, make_staff(role="beleidsmedewerker"))
    overview = client.get("/backoffice/", follow_redirects=True)
    assert overview.request.path == "/backoffice/overview"
    assert "Amal" not in overview.text
    assert "Gemeente 0405" in overview.text or "Hoorn" in overview.text
    for path in ("/backoffice/caseload", f"/backoffice/newcomers/{file_id}", "/backoffice/newcomers/new"):
        assert client.get(path).status_code == 404


def test_search_keeps_filters_and_the_name_stays_out_of_urls(klantmanager, app):
    make_file(app, name="Yonas Tesfay", phone="+31612345602", status="intake_submitted")
    make_file(app, name="Yonas Other", phone="+31612345603", status="invited")
    page = search(klantmanager, "yonas", status="intake_submitted")
    assert page.request.path == "/backoffice/caseload"
    assert "yonas" not in page.request.url.lower()
    assert "Yonas Tesfay" in page.text
    assert "Yonas Other" not in page.text
    assert "yonas" not in "".join(re.findall(r'href="([^"]+)"', page.text)).lower()
    assert "yonas" not in session_cookie_text(klantmanager).lower()  # kept on the server, not in the cookie
    assert "Yonas Other" in search(klantmanager, "").text  # an empty search clears it
