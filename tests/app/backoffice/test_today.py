"""The today page: what needs the klantmanager first, each queue counted and linked to the caseload."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from html import unescape

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Filling, Invitation, Newcomer
from app.models.types import local_today, utcnow
from tests.app.backoffice.test_casefiles import make_file
from tests.app.backoffice.test_caseload_queries import count_queries
from tests.conftest import staff_sign_in

_phones = iter(range(100_000, 999_999))


def phone() -> str:
    return f"+31613{next(_phones):06d}"


def intake(app, newcomer_id: int, status: str, **times: datetime) -> None:  # noqa: ANN001
    """An intake row for the file: ``submitted_at`` or ``reviewed_at`` as given."""
    with app.app_context():
        municipality_id = db.session.get(Newcomer, newcomer_id).municipality_id
        db.session.add(
            Filling(
                newcomer_id=newcomer_id,
                municipality_id=municipality_id,
                workflow_id="brede_intake",
                workflow_version=1,
                locale="en",
                status=status,
                **times,
            )
        )
        db.session.commit()


def invitation(app, newcomer_id: int, sent: datetime, used: bool = False) -> None:  # noqa: ANN001
    with app.app_context():
        db.session.add(
            Invitation(
                newcomer_id=newcomer_id,
                created_at=sent,
                expires_at=sent + timedelta(days=7),
                used_at=sent + timedelta(hours=1) if used else None,
            )
        )
        db.session.commit()


def waiting_for_review(app, km: int | None, name: str, days_ago: float, code: str = "0405") -> int:  # noqa: ANN001
    file_id = make_file(app, code, name=name, phone=phone(), status="intake_submitted", klantmanager_id=km)
    intake(app, file_id, "submitted", submitted_at=utcnow() - timedelta(days=days_ago))
    return file_id


def returned(app, km: int | None, name: str, days_ago: float) -> int:  # noqa: ANN001
    file_id = make_file(app, name=name, phone=phone(), status="returned", klantmanager_id=km)
    intake(app, file_id, "returned", submitted_at=utcnow() - timedelta(days=days_ago + 1),
           reviewed_at=utcnow() - timedelta(days=days_ago))  # fmt: skip
    return file_id


def due(app, km: int | None, name: str, in_days: int, status: str = "intake_approved") -> int:  # noqa: ANN001
    deadline = local_today() + timedelta(days=in_days)
    return make_file(app, name=name, phone=phone(), status=status, klantmanager_id=km, deadline=deadline)


def invited(app, km: int | None, name: str, *sent_days_ago: float, used: bool = False) -> int:  # noqa: ANN001
    file_id = make_file(app, name=name, phone=phone(), status="invited", klantmanager_id=km)
    for days in sent_days_ago:
        invitation(app, file_id, utcnow() - timedelta(days=days), used=used)
    return file_id


def counts(page: str) -> dict[str, int]:
    """The count of every queue on the today page, by queue code."""
    found = re.findall(r'id="queue-(\w+)">.*?data-count="(\d+)"', page, flags=re.S)
    return {code: int(n) for code, n in found}


def names_in(page: str) -> list[str]:
    return [unescape(name) for name in re.findall(r"<bdi>([^<]+)</bdi></a>", page)]


@pytest.fixture
def sanne(make_staff):  # noqa: ANN001, ANN201
    return make_staff()


@pytest.fixture
def sanne_client(client, sanne):  # noqa: ANN001, ANN201
    staff_sign_in(client, sanne)
    return client


def caseload_names(client, query: str) -> set[str]:  # noqa: ANN001
    page = client.get(f"/backoffice/caseload?{query}&per_page=100")
    assert page.status_code == 200
    return set(names_in(page.text))


def test_klantmanagers_start_on_the_today_page(sanne_client):
    response = sanne_client.get("/backoffice/", follow_redirects=True)
    assert response.request.path == "/backoffice/today"
    assert 'href="/backoffice/today"' in response.text  # in the navigation


def test_every_queue_counts_exactly_its_files_and_lists_the_longest_waiting_first(sanne_client, sanne, app, make_staff):
    peter = make_staff()  # a colleague in the same team
    for days in (1, 9, 3, 12, 5, 7, 2):
        waiting_for_review(app, sanne.id, f"Review {days:02d}", days)
    waiting_for_review(app, peter.id, "Peter's review", 30)
    returned(app, sanne.id, "Returned long ago", 8)
    returned(app, sanne.id, "Returned recently", 2)
    due(app, sanne.id, "Due soon", 10)
    due(app, sanne.id, "Overdue", -3, status="invited")
    due(app, sanne.id, "Due later", 30)
    due(app, sanne.id, "PIP already set", -3, status="pip_set")
    invited(app, sanne.id, "Never opened", 8)
    invited(app, sanne.id, "Opened", 8, used=True)
    invited(app, sanne.id, "Invited recently", 2)
    invited(app, sanne.id, "Invited again", 10, 1)

    page = sanne_client.get("/backoffice/today")
    assert page.status_code == 200
    assert counts(page.text) == {"review": 7, "returned_stale": 1, "deadline": 2, "not_opened": 1}
    review = page.text.split('id="queue-review"')[1].split("</section>")[0]
    assert names_in(review) == ["Review 12", "Review 09", "Review 07", "Review 05", "Review 03"]  # 5, oldest first
    assert "Show all 7 files in the caseload" in review
    deadline = page.text.split('id="queue-deadline"')[1].split("</section>")[0]
    assert names_in(deadline) == ["Overdue", "Due soon"]
    assert "overdue" in deadline
    assert "Peter" not in page.text

    team = sanne_client.get("/backoffice/today?klantmanager=all")
    assert counts(team.text)["review"] == 8
    assert "Peter&#39;s review" in team.text


def test_each_queue_links_to_the_caseload_showing_exactly_those_files(sanne_client, sanne, app, make_staff):
    peter = make_staff()
    waiting_for_review(app, sanne.id, "Review mine", 3)
    waiting_for_review(app, peter.id, "Review Peter's", 3)
    returned(app, sanne.id, "Returned long ago", 8)
    returned(app, sanne.id, "Returned recently", 2)
    due(app, sanne.id, "Due soon", 10)
    due(app, sanne.id, "Due later", 30)
    invited(app, sanne.id, "Never opened", 8)
    invited(app, sanne.id, "Invited recently", 2)

    page = sanne_client.get("/backoffice/today")
    links = {m[2]: m[1] for m in re.finditer(r'href="/backoffice/caseload\?(queue=(\w+)[^"]*)"', page.text)}
    assert set(links) == {"review", "returned_stale", "deadline", "not_opened"}
    expected = {
        "review": {"Review mine"},
        "returned_stale": {"Returned long ago"},
        "deadline": {"Due soon"},
        "not_opened": {"Never opened"},
    }
    for queue, query in links.items():
        assert caseload_names(sanne_client, query.replace("&amp;", "&")) == expected[queue], queue
    assert caseload_names(sanne_client, "queue=review&klantmanager=all") == {"Review mine", "Review Peter's"}


def test_an_empty_day_says_so_kindly(sanne_client):
    page = sanne_client.get("/backoffice/today")
    assert counts(page.text) == {"review": 0, "returned_stale": 0, "deadline": 0, "not_opened": 0}
    assert "No intakes are waiting for a review." in page.text
    assert "No PIP deadline is due within two weeks." in page.text
    assert "Everyone invited more than a week ago has opened the invitation." in page.text
    assert "/backoffice/caseload?queue=" not in page.text


def test_other_municipalities_files_are_never_counted(client, app, make_staff):
    hoorn = make_staff(codes=("0405",))
    make_staff(codes=("0420",))
    waiting_for_review(app, None, "Zahra elsewhere", 3, code="0420")
    waiting_for_review(app, None, "Amal here", 3)
    staff_sign_in(client, hoorn)
    page = client.get("/backoffice/today?klantmanager=all")
    assert counts(page.text)["review"] == 1
    assert "Zahra" not in page.text
    assert "Zahra" not in client.get("/backoffice/caseload?queue=review&klantmanager=all").text


def test_unknown_queue_is_ignored_not_an_error(sanne_client, sanne, app):
    waiting_for_review(app, sanne.id, "Review mine", 3)
    page = sanne_client.get("/backoffice/caseload?queue=drop_table")
    assert page.status_code == 200
    assert "Review mine" in page.text


def test_only_klantmanagers_have_a_today_page(client, make_staff):
    staff_sign_in(client, make_staff(role="beleidsmedewerker"))
    assert client.get("/backoffice/today").status_code == 404


def test_the_today_page_costs_the_same_few_queries_however_full_the_queues(sanne_client, sanne, app):
    def fill(n: int, start: int) -> None:
        for i in range(start, start + n):
            waiting_for_review(app, sanne.id, f"R{i}", 1 + i % 5)
            returned(app, sanne.id, f"S{i}", 8 + i % 3)
            due(app, sanne.id, f"D{i}", i % 10)
            invited(app, sanne.id, f"N{i}", 8 + i % 4)

    fill(6, 0)
    few = count_queries(app, sanne_client, "/backoffice/today")
    fill(30, 6)
    many = count_queries(app, sanne_client, "/backoffice/today")
    assert few == many, (few, many)
    with app.app_context():
        assert db.session.scalar(select(Newcomer.id).where(Newcomer.name == "R35")) is not None
    assert many <= 10


def test_unassigned_files_are_pointed_out_and_listed_for_handing_out(sanne_client, sanne, app, make_staff):
    make_staff(codes=("0420",))
    due(app, None, "Nobody's file", 30)
    due(app, sanne.id, "Sanne's file", 30)
    make_file(app, "0420", name="Elsewhere unassigned", phone=phone(), status="invited", klantmanager_id=None)
    page = sanne_client.get("/backoffice/today")
    assert "1 file has no klantmanager yet: hand it out." in page.text
    assert 'href="/backoffice/caseload?klantmanager=none"' in page.text
    listed = caseload_names(sanne_client, "klantmanager=none")
    assert listed == {"Nobody's file"}
    caseload = sanne_client.get("/backoffice/caseload?klantmanager=none")
    assert '<option value="none" selected>' in caseload.text
    assert "klantmanager=none" in caseload.text  # its own links keep the choice


def test_no_unassigned_notice_when_every_file_has_a_klantmanager(sanne_client, sanne, app):
    due(app, sanne.id, "Sanne's file", 30)
    assert "no klantmanager yet" not in sanne_client.get("/backoffice/today").text
