"""What a request may carry: ids and page numbers within bounds, links built from allow-lists,
and no control characters in any value.

Ids are 32-bit on PostgreSQL (``integer``): a path or query id beyond 2**31 - 1 would make the
database refuse the query (a 500), so it never gets that far. Links that keep the current filters
are built from a list of known parameters, never from the whole query string: ``url_for`` takes
``_anchor``, ``_external`` and ``endpoint`` as its own arguments, and must not get them from a URL.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from flask import Request
from werkzeug.datastructures import ImmutableMultiDict, MultiDict
from werkzeug.routing import IntegerConverter

MAX_ID = 2**31 - 1
"""The largest id a row can have (PostgreSQL ``integer``)."""
MAX_PAGE = 10_000
"""No list is paged deeper than this by number."""

# C0 and C1 control characters other than tab, line feed and carriage return. PostgreSQL refuses
# NUL in text, and none of the others belongs in anything a person types.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
"""C0 and C1 controls (not line breaks and tabs), and the bidi embeddings, overrides and isolates
(U+202A-U+202E, U+2066-U+2069), which can make text read backwards on a staff member's screen. The
joiners Persian and Arabic need (ZWNJ U+200C, ZWJ U+200D) and the direction marks stay."""


def clean_text(value: str) -> str:
    """``value`` without control characters (line breaks and tabs stay)."""
    return _CONTROL.sub("", value)


class CleanMultiDict(ImmutableMultiDict):
    """Query and form values (and their names) without control characters; files pass unchanged."""

    def __init__(self, mapping: object = None) -> None:
        raw = MultiDict(mapping)  # type: ignore[arg-type] - a dict, a MultiDict or pairs, as werkzeug passes
        super().__init__((_clean(key), _clean(value)) for key, value in raw.items(multi=True))


def _clean(value: object) -> object:
    return clean_text(value) if isinstance(value, str) else value


class CleanRequest(Request):
    """Every request of the app: its ``args`` and ``form`` are cleaned of control characters, in one place."""

    parameter_storage_class = CleanMultiDict


class IdConverter(IntegerConverter):
    """``<int:...>`` in every route: a whole number from 0 to :data:`MAX_ID`; anything else is a 404."""

    def __init__(self, map, *args: object, **kwargs: object) -> None:  # noqa: A002, ANN001 - werkzeug's signature
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)  # type: ignore[arg-type]


def bounded_int(value: object, *, low: int = 1, high: int = MAX_ID) -> int | None:
    """``value`` as a whole number within ``low``..``high``, or ``None`` (empty, not a number, out of range)."""
    text = str(value or "").strip()
    if not text.isascii() or not text.isdigit() or len(text) > 12:
        return None
    number = int(text)
    return number if low <= number <= high else None


def link_args(args: Mapping[str, str], allowed: Iterable[str]) -> dict[str, str]:
    """The non-empty values of the ``allowed`` query parameters, to carry into links."""
    return {name: args[name] for name in allowed if args.get(name)}


URL_FOR_OWN = frozenset({"endpoint", "values", "page"})


def without_url_for_arguments(args: Mapping[str, str]) -> dict[str, str]:
    """``args`` less the names ``url_for`` would take as its own (``_anchor``, ``_external``, ...).

    Views pass allow-listed arguments already; the pagination macro applies this as well, so that
    a view that forgets cannot let a URL choose the link's endpoint, anchor or host.
    """
    return {k: v for k, v in args.items() if k not in URL_FOR_OWN and not k.startswith("_")}
