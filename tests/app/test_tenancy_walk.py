"""A walk over EVERY staff endpoint (/backoffice, /admin, /reports), read from the app's URL map, for
every role: never a server error, never another municipality's data, and no page for a role that
may not use it. A route added later is walked without anyone remembering to add it here."""

from __future__ import annotations

import re
from datetime import date

from flask import Flask
from sqlalchemy import select

from app.extensions import db
from app.models import Municipality, Newcomer, Pip
from app.params import MAX_ID
from tests.conftest import csrf_token, sign_in, staff_sign_in

PREFIXES = ("/backoffice", "/admin", "/reports")
MARKER = "Othermarker Qzx"
"""Only the other municipality's newcomer has this name: it must appear in no response."""
VARIABLE = re.compile(r"<(?:\w+:)?(\w+)>")


def staff_rules(app: Flask) -> list[tuple[str, set[str], list[str]]]:
    """(rule, methods, variable names) of every staff route."""
    found = []
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith(PREFIXES):
            found.append((rule.rule, (rule.methods or set()) & {"GET", "POST"}, VARIABLE.findall(rule.rule)))
    return sorted(found)


def fill(rule: str, ids: dict[str, int], default: int) -> str:
    """The rule with each variable replaced by the id named for it (or ``default``)."""
    return VARIABLE.sub(lambda m: str(ids.get(m.group(1), default)), rule)


def _person(municipality_id: int, name: str, phone: str) -> int:
    row = Newcomer(
        name=name, phone=phone, municipality_id=municipality_id, language="en", duo_notified_on=date(2024, 1, 5)
    )
    db.session.add(row)
    db.session.flush()
    db.session.add(
        Pip(newcomer_id=row.id, municipality_id=municipality_id, version=1, leerroute="B", level="B1",
            pip_on=date(2024, 2, 1))
    )  # fmt: skip
    return row.id


def test_every_staff_endpoint_for_every_role(app, client, make_staff):
    rules = staff_rules(app)
    assert len(rules) >= 40
    klantmanager = make_staff("klantmanager", codes=("0405",))
    beleid = make_staff("beleidsmedewerker", codes=("0405",))
    beheerder = make_staff("beheerder", codes=("0405",))
    other_staff = make_staff("klantmanager", codes=("0420",))
    with app.app_context():
        hoorn = db.session.scalar(select(Municipality.id).where(Municipality.code == "0405"))
        medemblik = db.session.scalar(select(Municipality.id).where(Municipality.code == "0420"))
        own = _person(hoorn, "Own Person", "+31612000001")
        other = _person(medemblik, MARKER, "+31612000002")
        db.session.commit()
    from tests.conftest import Person

    newcomer = Person(own, "Own Person", "+31612000001", "en")
    other_ids = {"newcomer_id": other, "staff_id": other_staff.id}
    own_ids = {"newcomer_id": own, "staff_id": klantmanager.id}

    def browser():  # noqa: ANN202
        b = app.test_client()
        b.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
        return b

    roles = {}
    for name, login, start in (
        ("klantmanager", klantmanager, "/backoffice/caseload"),
        ("beleidsmedewerker", beleid, "/reports/monitor"),
        ("beheerder", beheerder, "/admin/staff"),
    ):
        b = browser()
        staff_sign_in(b, login)
        roles[name] = (b, csrf_token(b.get(start).text))
    b = browser()
    sign_in(b, newcomer)
    roles["newcomer"] = (b, csrf_token(b.get("/intake/", follow_redirects=True).text))
    b = browser()
    roles["anonymous"] = (b, csrf_token(b.get("/staff/login").text))

    problems = []
    for role, (b, token) in roles.items():
        for rule, methods, variables in rules:
            plans = [("GET", other_ids, other), ("GET", {}, MAX_ID)]
            if variables:
                plans.append(("GET", own_ids, own))
            else:
                plans = [("GET", {}, 0)]
            if "POST" in methods:
                plans += [("POST", other_ids, other), ("POST", {}, MAX_ID)] if variables else [("POST", {}, 0)]
            for method, ids, default in plans:
                if method not in methods:
                    continue
                path = fill(rule, ids, default)
                response = b.open(path, method=method, data={"csrf_token": token} if method == "POST" else None)
                status = response.status_code
                body = response.get_data().decode("utf-8", "replace")  # an XLSX is binary
                if status >= 500:
                    problems.append(f"{role} {method} {path}: {status}")
                if MARKER in body:
                    problems.append(f"{role} {method} {path}: shows the other municipality's newcomer")
                if role in ("anonymous", "newcomer") and status == 200:
                    problems.append(f"{role} {method} {path}: 200 for a staff page")
                if role != "beheerder" and rule.startswith("/admin") and status == 200:
                    problems.append(f"{role} {method} {path}: 200 on an admin page")
                if role == "beheerder" and rule.startswith("/reports") and status == 200:
                    problems.append(f"{role} {method} {path}: 200 on a report")
                if role == "anonymous" and status in (301, 302, 303):
                    location = response.headers.get("Location", "")
                    if "/staff/login" not in location and "/login" not in location:
                        problems.append(f"{role} {method} {path}: redirected to {location}")
    assert not problems, "\n".join(problems)
