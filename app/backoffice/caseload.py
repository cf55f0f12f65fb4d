"""The caseload query, fast at national scale: one PostgreSQL for every municipality of the country.

A page of the caseload is an ordered index scan per municipality (the indexes are in
``Newcomer.__table_args__``, migration 0007): every sort is a key of columns ending in the id, each
led by ``municipality_id`` in an index, so ``ORDER BY key LIMIT n`` reads n index entries per
municipality instead of sorting all of them. A staff member with several municipalities gets one
such scan per municipality, glued with ``UNION ALL`` and merged (PostgreSQL cannot keep an index's
order across the values of ``municipality_id IN (...)``).

- **Keyset pages**: "next" and "previous" seek from the last (first) file of the page shown,
  ``after=<id>`` / ``before=<id>``, never ``OFFSET``. The cursor is the file's id only (plus ``-``
  when its deadline is empty): its sort values are read inside the same statement, so no name ever
  goes into a URL. Page numbers without a cursor use ``OFFSET`` only for the first
  :data:`OFFSET_PAGES` pages.
- **Bounded count**: the total is counted up to :data:`COUNT_LIMIT` + 1 files; beyond that the page
  says "more than 10,000 files" (the count would otherwise read the whole municipality).
- **Name search**: ``name ILIKE '%...%'``, served by a trigram (GIN, pg_trgm) index on PostgreSQL
  when the planner expects few matches, by the ordered scan when it expects many.

Two statements per page (count and rows), whatever the page, its size or the number of municipalities.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from sqlalchemy import ColumnElement, Select, func, select, union_all
from sqlalchemy.orm import InstrumentedAttribute, aliased

from ..extensions import db
from ..models import Newcomer
from ..models.tenancy import current_limit

PER_PAGE = 25
PAGE_SIZES = (10, 25, 50, 100)
COUNT_LIMIT = 10_000
"""The count stops here: "more than 10,000 files" beyond (see :class:`Page`)."""
OFFSET_PAGES = 10
"""Page numbers without a cursor (OFFSET) up to this page; deeper pages go by cursor only."""
SPLIT_LIMIT = 50
"""Up to this many municipalities the page is one index scan per municipality; more use one scan and a sort."""

SORTS: dict[str, tuple[InstrumentedAttribute, ...]] = {
    "deadline": (Newcomer.pip_deadline_on,),
    "name": (Newcomer.name,),
    "status": (Newcomer.status, Newcomer.pip_deadline_on),
    "registered": (Newcomer.created_at,),
}
"""Each sort's key, before the id that ends every key (and every caseload index)."""

NULL_MARK = "-"


@dataclass(frozen=True)
class CaseloadFilter:
    """What the caseload shows: filters, search, sort and page (all from the query string)."""

    status: str = ""
    municipality_id: int | None = None
    doelgroep: str = ""
    leerroute: str = ""
    language: str = ""
    klantmanager_id: int | None = None
    """Only this klantmanager's files ("my files")."""
    unassigned: bool = False
    """Only files that nobody is responsible for (to hand out)."""
    queue: str = ""
    """Only the files of one of the today page's queues (``app.backoffice.today.QUEUES``)."""
    q: str = ""
    sort: str = "deadline"
    descending: bool = False
    page: int = 1
    per_page: int = PER_PAGE
    after: str = ""
    """A cursor (:func:`cursor_of`): the page of files after this one."""
    before: str = ""
    """A cursor: the page of files before this one."""


@dataclass(frozen=True)
class Page:
    """One page of the caseload.

    ``total`` is exact up to :data:`COUNT_LIMIT`; when ``more`` is true there are more files than
    that and ``total`` is :data:`COUNT_LIMIT` (``pages`` is then None). ``next_args`` and
    ``prev_args`` are the query-string arguments of the neighbouring pages (page number and cursor).
    """

    items: list[Newcomer]
    total: int
    more: bool
    page: int
    per_page: int
    has_prev: bool
    has_next: bool
    prev_cursor: str | None = None
    next_cursor: str | None = None

    @property
    def pages(self) -> int | None:
        """The number of pages, when the count is exact."""
        return None if self.more else max(1, math.ceil(self.total / self.per_page))

    @property
    def prev_num(self) -> int | None:
        return self.page - 1 if self.has_prev else None

    @property
    def next_num(self) -> int | None:
        return self.page + 1 if self.has_next else None

    @property
    def prev_args(self) -> dict[str, object]:
        if not self.has_prev:
            return {}
        return {"page": 1} if self.page == 2 else {"page": self.page - 1, "before": self.prev_cursor}

    @property
    def next_args(self) -> dict[str, object]:
        return {"page": self.page + 1, "after": self.next_cursor} if self.has_next else {}

    @cached_property
    def unread_replies(self) -> dict[int, int]:
        """Unread answers from the newcomer per file of this page: one grouped statement over the
        page's ids, run when the page shows them (not one of the page's two)."""
        from ..conversation.services import unread_counts

        return unread_counts(newcomer.id for newcomer in self.items)


def cursor_of(newcomer: Newcomer, sort: str = "deadline") -> str:
    """The cursor of a file in a sort: its id, and ``-`` when its (nullable) sort value is empty."""
    empty = any(getattr(newcomer, column.key) is None for column in SORTS.get(sort, SORTS["deadline"]))
    return f"{newcomer.id}{NULL_MARK if empty else ''}"


def parse_cursor(token: str) -> tuple[int, bool] | None:
    """``(id, empty)`` from a cursor, None for none; a ValueError when it is not a cursor."""
    if not token:
        return None
    empty = token.endswith(NULL_MARK)
    digits = token.removesuffix(NULL_MARK)
    if not (digits.isascii() and digits.isdigit()) or len(digits) > 18:
        raise ValueError(token)
    return int(digits), empty


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def criteria(f: CaseloadFilter, on: Any = Newcomer, municipality: bool = True) -> list[ColumnElement[bool]]:
    """The filters and the search as WHERE criteria (the tenancy filter adds the municipalities).

    ``on`` is ``Newcomer`` (ORM criteria) or ``Newcomer.__table__.c`` (plain columns, see :func:`_rows`).
    """
    where: list[ColumnElement[bool]] = []
    if f.status:
        where.append(on.status == f.status)
    if f.municipality_id and municipality:
        where.append(on.municipality_id == f.municipality_id)
    if f.doelgroep:
        where.append(on.doelgroep == f.doelgroep)
    if f.leerroute:
        where.append(on.leerroute == f.leerroute)
    if f.language:
        where.append(on.language == f.language)
    if f.klantmanager_id:
        where.append(on.klantmanager_id == f.klantmanager_id)
    elif f.unassigned:
        where.append(on.klantmanager_id.is_(None))
    if f.queue:
        from .today import criteria as queue_criteria

        where.extend(queue_criteria(f.queue))
    if f.q:
        # ILIKE on PostgreSQL (the trigram index serves it), lower() LIKE lower() on SQLite.
        where.append(on.name.ilike(f"%{_escape_like(f.q)}%", escape="\\"))
    return where


def _key(sort: str) -> tuple[InstrumentedAttribute, ...]:
    return (*SORTS.get(sort, SORTS["deadline"]), Newcomer.id)


def _nullable(column: InstrumentedAttribute) -> bool:
    return bool(column.property.columns[0].nullable)


def _order(columns: Sequence, ascending: bool) -> list:
    """Ascending with empty values last, or exactly its reverse (the index read backwards)."""
    return [c.asc().nulls_last() if ascending else c.desc().nulls_first() for c in columns]


def caseload_query(f: CaseloadFilter) -> Select:
    """The whole selection in the caseload's order (exports, reports); the tenancy filter adds the municipalities."""
    return select(Newcomer).where(*criteria(f)).order_by(*_order(_key(f.sort), not f.descending))


def _segments(
    sort: str, cursor: tuple[int, bool], ascending: bool, on: Any = Newcomer
) -> list[list[ColumnElement[bool]]]:
    """The files strictly after the cursor's file in this order, as disjoint ranges of the index.

    For a key (k1, ..., id) and the cursor's values (v1, ..., cid), range i holds the files equal
    to the cursor on k1..k(i-1) and after it on ki; each range is a contiguous, ordered stretch of
    the index (an index condition, no filter). The values are read by id inside the statement;
    ``empty`` says whether the cursor's nullable value is NULL (which changes the ranges' shape).
    The ranges are on ``on``'s columns (as in :func:`criteria`); the values are ORM subqueries, so the
    tenancy filter applies to them: another municipality's file has no values, and nothing follows it.
    """
    cursor_id, empty = cursor
    key = _key(sort)

    def c(column: InstrumentedAttribute) -> Any:
        return getattr(on, column.key)

    def value(column: InstrumentedAttribute) -> ColumnElement:
        return select(column).where(Newcomer.id == cursor_id).scalar_subquery()

    segments: list[list[ColumnElement[bool]]] = []
    for i, column in enumerate(key):
        prefix = []
        for earlier in key[:i]:
            if _nullable(earlier) and empty:
                prefix.append(c(earlier).is_(None))
            else:
                prefix.append(c(earlier) == (cursor_id if earlier is Newcomer.id else value(earlier)))
        v = cursor_id if column is Newcomer.id else value(column)
        null_here = _nullable(column) and empty
        if ascending:  # empty values last: nothing comes after an empty value but other empty values
            if not null_here:
                segments.append([*prefix, c(column) > v])
                if _nullable(column):
                    segments.append([*prefix, c(column).is_(None)])
        elif null_here:  # descending, empty values first: every non-empty value comes after
            segments.append([*prefix, c(column).is_not(None)])
        else:
            segments.append([*prefix, c(column) < v])
    return segments


def _rows(f: CaseloadFilter, ascending: bool, cursor: tuple[int, bool] | None, offset: int, limit: int) -> list:
    """Up to ``limit`` files in this order, after the cursor or from ``offset``: one statement.

    With the municipalities known (a staff request), one part per municipality and range of the
    index, each an ordered scan of at most ``offset + limit`` index entries that returns only the
    sort key and the id (an index-only scan when the filters' columns are in the index); the outer
    query merges the parts, keeps the first ``limit`` and only then reads those files by id. The
    tenancy filter applies to that outer query as to any ORM query, so no other municipality's file
    can come out. The parts read the table itself, each with its one ``municipality_id = ?``: with
    the tenancy's ``IN (...)`` added again inside, PostgreSQL would multiply the two estimates, expect
    a handful of rows and sort the whole municipality instead of reading the index in order.
    """
    key = _key(f.sort)
    allowed = current_limit()
    municipalities = [f.municipality_id] if f.municipality_id else list(allowed or ())
    if allowed is None or len(municipalities) > SPLIT_LIMIT:  # not split: ORM parts, the tenancy filter inside
        where = criteria(f)
        segments = _segments(f.sort, cursor, ascending) if cursor else [[]]
        parts = [select(*key).where(*where, *segment) for segment in segments]
    else:
        table = Newcomer.__table__
        where = criteria(f, on=table.c, municipality=False)
        segments = _segments(f.sort, cursor, ascending, on=table.c) if cursor else [[]]
        columns = [table.c[column.key] for column in key]
        parts = [
            select(*columns).where(table.c.municipality_id == m, *where, *segment)
            for m in municipalities
            for segment in segments
        ]
    if len(parts) == 1:
        found = parts[0].order_by(*_order(key, ascending)).offset(offset or None).limit(limit).subquery("page")
    else:
        inner = [part.order_by(*_order(key, ascending)).limit(offset + limit).subquery() for part in parts]
        merged = union_all(*(select(sub) for sub in inner)).subquery("parts")
        merged_key = [merged.c[column.key] for column in key]
        found = select(merged).order_by(*_order(merged_key, ascending)).offset(offset or None).limit(limit)
        found = found.subquery("page")
    # The page's files by id; as an alias over plain tables, so that the tenancy filter goes on the
    # outside only (inside, the ORM would add it to every occurrence of the table, parts included).
    table = Newcomer.__table__
    files = select(table).join(found, found.c.id == table.c.id).subquery("files")
    row = aliased(Newcomer, files)
    query = select(row).order_by(*_order([getattr(row, column.key) for column in key], ascending))
    return list(db.session.scalars(query))


def count(f: CaseloadFilter, limit: int = COUNT_LIMIT) -> int:
    """How many files match, counted up to ``limit + 1`` (an index-only scan on PostgreSQL)."""
    bounded = select(Newcomer.id).where(*criteria(f)).limit(limit + 1).subquery()
    return db.session.scalar(select(func.count()).select_from(bounded)) or 0


def caseload(f: CaseloadFilter) -> Page:
    """One page of the caseload: two statements (count and rows), whatever the page or its size.

    Without a cursor the page number is served by OFFSET up to :data:`OFFSET_PAGES` (deeper page
    numbers show that page); with ``after`` it is the page after that file, with ``before`` the page
    before it (read backwards, then turned around). The page number travels with the cursor.
    """
    total = count(f)
    more = total > COUNT_LIMIT
    total = min(total, COUNT_LIMIT)
    ascending = not f.descending
    n = f.per_page
    after, before = parse_cursor(f.after), parse_cursor(f.before)
    if before:
        rows = _rows(f, not ascending, before, 0, n + 1)
        has_prev, has_next = len(rows) > n, True
        items = list(reversed(rows[:n]))
        page = max(2, f.page) if has_prev else 1  # nothing before it: the first page (maybe short, if files moved)
    elif after:
        rows = _rows(f, ascending, after, 0, n + 1)
        has_prev, has_next = True, len(rows) > n
        items = rows[:n]
        page = max(2, f.page)
    else:
        page = min(max(1, f.page), OFFSET_PAGES)
        rows = _rows(f, ascending, None, (page - 1) * n, n + 1)
        has_prev, has_next = page > 1, len(rows) > n
        items = rows[:n]
    return Page(
        items=items,
        total=total,
        more=more,
        page=page,
        per_page=n,
        has_prev=has_prev and bool(items),
        has_next=has_next and bool(items),
        prev_cursor=cursor_of(items[0], f.sort) if items else None,
        next_cursor=cursor_of(items[-1], f.sort) if items else None,
    )
