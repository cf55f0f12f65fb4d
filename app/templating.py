"""What every template can use: the language list and direction, localised formats, hashed static URLs."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from flask import Flask, g, url_for
from flask_babel import gettext
from markupsafe import Markup, escape

from .i18n import LANGUAGES, current_language, format_date, format_datetime, message_language_question, number

# The Dutch term of art that every catalog keeps (DOMAIN.md), with whatever ending a language
# gives it ("klantmanager-kaaga", "Klantmanager'ınızın", "klantmanagers").
_TERM = re.compile(r"klantmanager[\w'’-]*", re.IGNORECASE)
_NEAR = 12  # characters after the term within which a bracket is the translation's own gloss


def explain(text: str) -> Markup:
    """``text`` escaped, with a short gloss after the first "klantmanager" on the page.

    The word stays Dutch in every language, because the newcomer will hear it; the first time a
    page uses it, it says what it means. A translation that explains it itself, in brackets just
    after the word ("klantmanager شما (مسئول پرونده شما)"), keeps its own explanation.
    """
    raw = str(text)
    match = _TERM.search(raw)
    if match is None or g.get("_term_explained"):
        return escape(text)
    g._term_explained = True
    before, after = raw[: match.end()], raw[match.end() :]
    if "(" in after[:_NEAR]:
        return escape(text)
    if isinstance(text, Markup):  # already safe HTML: split it without escaping it again
        before, after = text[: match.end()], text[match.end() :]
    gloss = gettext("your contact person at the municipality")
    return Markup('{}<span class="term-gloss"> ({})</span>{}').format(before, gloss, after)


def init_app(app: Flask) -> None:
    """Register template globals."""
    static = Path(app.static_folder or "")
    hashes = {
        path.relative_to(static).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()[:10]
        for path in static.rglob("*")
        if path.is_file()
    }

    def asset(filename: str) -> str:
        """A static URL that changes when the file does, so it can be cached for a year."""
        return url_for("static", filename=filename, v=hashes.get(filename, "0"))

    app.jinja_env.globals.update(
        asset=asset,
        languages=LANGUAGES,
        current_language=current_language,
        format_datetime=format_datetime,
        format_date=format_date,
        number=number,
        local_number=number,  # the same, for the layout: a page may have a variable called "number"
        message_language_question=message_language_question,
    )
    app.jinja_env.filters["explain"] = explain
    app.jinja_env.policies["ext.i18n.trimmed"] = True
