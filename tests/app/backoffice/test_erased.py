"""An erased file only keeps its figures: every write to it answers 409, on every route that names a file.

The routes are read from the URL map (as ``test_tenancy`` does), so a route added later is covered
without anyone remembering to add it here.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from app.backoffice.privacy_services import erase
from app.extensions import db
from app.models import Newcomer, Pip, TermExtension
from app.models.types import local_today
from tests.app.backoffice.test_pip import FORM, add_pip, make_file
from tests.app.backoffice.test_tenancy import file_routes
from tests.conftest import csrf_token, staff_sign_in

TODAY = local_today()


def erased_file(app) -> int:  # noqa: ANN001
    """A file with a PIP, then erased."""
    file_id = make_file(app)
    add_pip(app, file_id, TODAY - timedelta(days=30), learnability_result="feasible", literacy="NVT")
    with app.app_context():
        assert erase(db.session.get(Newcomer, file_id))
        db.session.commit()
    return file_id


def write_routes(app) -> list[str]:  # noqa: ANN001
    return [rule for method, rule in file_routes(app) if method == "POST" and rule.startswith("/backoffice/")]


def test_every_write_route_of_a_file_is_checked(app):
    rules = write_routes(app)
    assert "/backoffice/newcomers/<int:newcomer_id>/pip" in rules
    assert "/backoffice/newcomers/<int:newcomer_id>/pip/extensions" in rules
    assert len(rules) >= 8


def test_every_write_to_an_erased_file_answers_409(client, app, make_staff):
    staff_sign_in(client, make_staff())
    file_id = erased_file(app)
    token = csrf_token(client.get(f"/backoffice/newcomers/{file_id}").text)
    # A complete, valid body for the PIP and the extension: only the erasure can refuse them.
    body = {
        **FORM,
        "pip_on": (TODAY - timedelta(days=10)).isoformat(),
        "extension-reason": "illness",
        "extension-days": "90",
        "extension-decided_on": (TODAY - timedelta(days=1)).isoformat(),
        "extension-csrf_token": token,
        "csrf_token": token,
    }
    for rule in write_routes(app):
        path = rule.replace("<int:newcomer_id>", str(file_id))
        response = client.post(path, data=body)
        assert response.status_code == 409, (path, response.status_code)
    with app.app_context():
        assert db.session.scalars(select(Pip.version).where(Pip.newcomer_id == file_id)).all() == [1]
        assert db.session.scalars(select(TermExtension).where(TermExtension.newcomer_id == file_id)).all() == []


def test_an_erased_file_can_still_be_read(client, app, make_staff):
    staff_sign_in(client, make_staff())
    file_id = erased_file(app)
    for method, rule in file_routes(app):
        if method == "GET" and rule.startswith("/backoffice/"):
            path = rule.replace("<int:newcomer_id>", str(file_id))
            assert client.get(path).status_code in (200, 302), path


def test_another_municipality_still_gets_404_for_an_erased_file(client, app, make_staff):
    file_id = erased_file(app)
    staff_sign_in(client, make_staff(codes=("0420",)))
    token = csrf_token(client.get("/backoffice/caseload").text)
    for rule in write_routes(app):
        path = rule.replace("<int:newcomer_id>", str(file_id))
        assert client.post(path, data={"csrf_token": token}).status_code == 404, path
