"""What every template can use: the language list and direction, hashed static URLs."""

from __future__ import annotations

import hashlib
from pathlib import Path

from flask import Flask, url_for
from flask_babel import format_date, format_datetime

from .i18n import LANGUAGES, current_language


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
    )
    app.jinja_env.policies["ext.i18n.trimmed"] = True
