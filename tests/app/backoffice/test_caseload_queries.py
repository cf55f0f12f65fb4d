"""The caseload runs a constant number of SQL queries, whatever the page size (no N+1)."""

from __future__ import annotations

from sqlalchemy import event

from app.extensions import db
from tests.app.backoffice.test_casefiles import make_file


def count_queries(app, client, path: str) -> int:  # noqa: ANN001
    statements: list[str] = []

    def remember(conn, cursor, statement, *args):  # noqa: ANN001, ANN002, ANN202
        statements.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", remember)
    try:
        assert client.get(path).status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", remember)
    return len(statements)


def test_query_count_does_not_grow_with_the_page(klantmanager, app):
    for n in range(120):
        make_file(app, name=f"Person {n:03d}", phone=f"+31612{n:06d}")
    path = "/backoffice/caseload?klantmanager=all&per_page={}"  # the whole team's: these files have no klantmanager
    counts = {size: count_queries(app, klantmanager, path.format(size)) for size in (10, 25, 100)}
    assert len(set(counts.values())) == 1, counts
    assert counts[10] <= 7, counts  # 7: the unread answers of the page's files, one grouped statement
