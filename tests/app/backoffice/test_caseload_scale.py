"""The caseload at national scale: keyset pages walk the whole selection, the count is bounded, and on
PostgreSQL the page, the search and a deep page are index scans (behaviour, not timing)."""

from __future__ import annotations

import random
from datetime import date, timedelta

import pytest
from sqlalchemy import event, insert, select, text

from app.backoffice import caseload as cl
from app.extensions import db
from app.models import Municipality, Newcomer
from app.models.tenancy import limit_to

STATUSES = ("registered", "invited", "intake_submitted", "in_route")


def make_files(app, count: int, municipalities: int = 3, seed: int = 1) -> list[int]:  # noqa: ANN001
    """``count`` files over ``municipalities`` municipalities: shared and empty deadlines, repeated names."""
    rng = random.Random(seed)
    with app.app_context():
        ids = []
        for n in range(municipalities):
            municipality = Municipality(code=f"9{n:03d}", name=f"Gemeente {n}")
            db.session.add(municipality)
            db.session.flush()
            ids.append(municipality.id)
        rows = [
            {
                "municipality_id": ids[i % municipalities],
                "name": rng.choice(["Amal Ahmadi", "Yonas Haile", "Zahra Rahimi", "Mehmet Kaya", "O'Brien 100%_x"]),
                "phone": f"+3169{i:07d}",
                "language": rng.choice(["ar", "ti", "fa"]),
                "status": rng.choice(STATUSES),
                "pip_deadline_on": rng.choice([None, date(2026, 12, 1) + timedelta(days=rng.randint(0, 5))]),
                "leerroute": rng.choice([None, "B", "Z"]),
            }
            for i in range(count)
        ]
        db.session.execute(insert(Newcomer), rows)
        db.session.commit()
        return ids


def walk(f: cl.CaseloadFilter, backwards_from_the_end: bool = False) -> list[int]:
    """Every file, page by page through the next (or, from the last page, previous) links."""
    seen, page = [], cl.caseload(f)
    pages = 1
    while page.has_next:
        seen += [n.id for n in page.items]
        page = cl.caseload(cl.CaseloadFilter(**{**f.__dict__, **page.next_args}))
        pages += 1
    seen += [n.id for n in page.items]
    assert page.page == pages
    if not backwards_from_the_end:
        return seen
    back = [n.id for n in page.items]
    while page.has_prev:
        page = cl.caseload(cl.CaseloadFilter(**{**f.__dict__, "after": "", **page.prev_args}))
        back = [n.id for n in page.items] + back
    assert page.page == 1
    return back


FILTERS = [
    {},
    {"descending": True},
    {"sort": "name"},
    {"sort": "name", "descending": True},
    {"sort": "status"},
    {"sort": "status", "descending": True},
    {"sort": "registered", "descending": True},
    {"status": "invited", "sort": "status"},
    {"q": "ahm"},
    {"q": "%_"},
    {"leerroute": "Z", "descending": True},
]


@pytest.mark.parametrize("filters", FILTERS, ids=lambda f: ",".join(f"{k}={v}" for k, v in f.items()) or "default")
def test_keyset_pages_walk_exactly_the_selection_in_both_directions(app, filters):
    municipalities = make_files(app, 130)
    with app.test_request_context():
        for allowed in (municipalities[:1], municipalities[:2]):
            limit_to(tuple(allowed))
            f = cl.CaseloadFilter(per_page=10, **filters)
            expected = [n.id for n in db.session.scalars(cl.caseload_query(f))]
            assert expected, "the selection is not empty"
            assert walk(f) == expected
            assert walk(f, backwards_from_the_end=True) == expected
            assert cl.caseload(f).total == len(expected)


def test_page_numbers_use_offset_only_for_the_first_pages(app):
    municipalities = make_files(app, 130, municipalities=1)
    with app.test_request_context():
        limit_to(tuple(municipalities))
        everything = [n.id for n in db.session.scalars(cl.caseload_query(cl.CaseloadFilter()))]
        third = cl.caseload(cl.CaseloadFilter(per_page=10, page=3))
        assert [n.id for n in third.items] == everything[20:30]
        assert (third.page, third.pages, third.prev_args) == (3, 13, {"page": 2, "before": third.prev_cursor})
        deep = cl.caseload(cl.CaseloadFilter(per_page=10, page=12))  # no cursor: no deeper than OFFSET_PAGES
        assert deep.page == cl.OFFSET_PAGES
        assert [n.id for n in deep.items] == everything[(cl.OFFSET_PAGES - 1) * 10 : cl.OFFSET_PAGES * 10]
        second = cl.caseload(cl.CaseloadFilter(per_page=10, **third.prev_args))
        assert second.prev_args == {"page": 1}  # back to the first page: no cursor needed


def test_the_count_stops_at_the_limit(app, monkeypatch):
    municipalities = make_files(app, 40, municipalities=1)
    monkeypatch.setattr(cl, "COUNT_LIMIT", 25)
    with app.test_request_context():
        limit_to(tuple(municipalities))
        page = cl.caseload(cl.CaseloadFilter(per_page=10))
        assert (page.total, page.more, page.pages) == (25, True, None)
        assert page.has_next
        exact = cl.caseload(cl.CaseloadFilter(per_page=10, status="invited"))
        assert not exact.more
        assert exact.total == len(db.session.scalars(cl.caseload_query(cl.CaseloadFilter(status="invited"))).all())


def test_a_cursor_of_another_municipality_shows_nothing_of_it(app):
    municipalities = make_files(app, 60, municipalities=2)
    with app.test_request_context():
        limit_to((municipalities[1],))
        foreign = db.session.scalar(select(Newcomer.id).where(Newcomer.municipality_id == municipalities[1]))
        limit_to((municipalities[0],))
        page = cl.caseload(cl.CaseloadFilter(after=str(foreign)))
        assert all(n.municipality_id == municipalities[0] for n in page.items)


@pytest.mark.parametrize("token", ["abc", "12x", "-", "1" * 30, "١٢", "1 2"])
def test_a_cursor_is_an_id(token):
    with pytest.raises(ValueError, match="."):
        cl.parse_cursor(token)


# -- PostgreSQL: the plans -------------------------------------------------------------------------


def plan_nodes(plan: dict) -> list[dict]:
    return [plan, *(node for child in plan.get("Plans", []) for node in plan_nodes(child))]


def explain(statement: str, parameters: object) -> list[dict]:
    with db.engine.connect() as connection:
        raw = connection.connection.driver_connection
        with raw.cursor() as cursor:
            cursor.execute(f"EXPLAIN (FORMAT JSON) {statement}", parameters)
            return plan_nodes(cursor.fetchone()[0][0]["Plan"])


def statements_of(call) -> list[tuple[str, object]]:  # noqa: ANN001
    seen: list[tuple[str, object]] = []

    def remember(conn, cursor, statement, parameters, *args):  # noqa: ANN001, ANN002, ANN202
        seen.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", remember)
    try:
        call()
    finally:
        event.remove(db.engine, "before_cursor_execute", remember)
    return seen


INDEX_SCANS = {"Index Scan", "Index Only Scan", "Bitmap Heap Scan"}
"""Reading newcomers through an index (a bitmap heap scan reads the pages its bitmap index scan found)."""
CASELOAD_INDEXES = {
    index.name for index in Newcomer.__table__.indexes if index.name.startswith("ix_newcomers_caseload")
}


@pytest.mark.postgres
def test_the_caseload_pages_are_index_scans_on_postgresql(app):
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("PostgreSQL only: query plans")
        db.session.execute(
            text(
                "INSERT INTO municipalities (code, name) SELECT lpad(g::text, 4, '8'), 'Gemeente ' || g"
                " FROM generate_series(1, 4) g"
            )
        )
        db.session.execute(
            text(
                "INSERT INTO newcomers (municipality_id, name, phone, language, doelgroep, status, pip_deadline_on,"
                " created_at, updated_at)"
                " SELECT m.id, (ARRAY['Amal','Yonas','Zahra','Mehmet','Hodan'])[1 + g % 5] || ' ' || g,"
                " '+3168' || lpad(g::text, 7, '0'), 'ar', 'statushouder',"
                " (ARRAY['registered','invited','intake_submitted','in_route'])[1 + g % 4],"
                " CASE WHEN g % 10 = 0 THEN NULL ELSE DATE '2026-12-01' + (g % 90) END, now(), now()"
                " FROM generate_series(1, 8000) g JOIN municipalities m ON m.code = lpad((1 + g % 4)::text, 4, '8')"
            )
        )
        db.session.commit()
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM ANALYZE newcomers"))
        mine = tuple(db.session.scalars(select(Municipality.id).order_by(Municipality.id).limit(2)))
        db.session.remove()
    with app.test_request_context():
        limit_to(mine)
        deep = db.session.scalars(cl.caseload_query(cl.CaseloadFilter()).offset(150).limit(1)).one()
        pages = {
            "default": cl.CaseloadFilter(),
            "search": cl.CaseloadFilter(q="yonas 12"),
            "deep page": cl.CaseloadFilter(after=cl.cursor_of(deep), page=7),
            "by name, one municipality": cl.CaseloadFilter(sort="name", municipality_id=mine[0]),
        }
        for label, f in pages.items():
            statements = statements_of(lambda f=f: cl.caseload(f))
            assert len(statements) == 2, label  # the count and the rows
            rows_plan = explain(*statements[1])
            scans = [node["Node Type"] for node in rows_plan if node.get("Relation Name") == "newcomers"]
            assert scans, label
            assert set(scans) <= INDEX_SCANS, (label, scans)
            indexes = {node["Index Name"] for node in rows_plan if "Index Name" in node}
            assert indexes & ({"ix_newcomers_name_trgm"} if f.q else CASELOAD_INDEXES), (label, indexes)
