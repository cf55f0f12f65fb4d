"""Error pages: translated, friendly, and revealing nothing about the system or the person."""

from __future__ import annotations

from flask import Flask, render_template
from flask.typing import ResponseReturnValue
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from ..extensions import db

_PAGES = {
    400: (_l("Something went wrong with this request"), _l("Please go back and try again.")),
    403: (_l("No access"), _l("You do not have access to this page.")),
    404: (_l("Page not found"), _l("This page does not exist. Check the address, or go to the start page.")),
    405: (_l("Page not found"), _l("This page does not exist. Check the address, or go to the start page.")),
    409: (_l("This cannot be changed"), _l("The data on this page cannot be changed any more.")),
    410: (_l("This page is no longer available"), _l("Go to the start page to continue.")),
    413: (
        _l("Your answer is too long"),
        _l(
            "What you sent is too big for us. Go back, make your answer shorter and try again. "
            "Your earlier answers are saved."
        ),
    ),
    429: (
        _l("Too many attempts"),
        _l("Please wait a few minutes and then try again."),
    ),
    500: (
        _l("Sorry, something went wrong on our side"),
        _l("Please try again later. Your earlier answers are saved."),
    ),
}
_CSRF = (
    _l("This page was open for too long"),
    _l("For your safety we did not save this page. Go back, reload the page and try again."),
)


def render_error(status: int, title: str | None = None, message: str | None = None) -> ResponseReturnValue:
    """The error page for ``status``."""
    default_title, default_message = _PAGES.get(status, _PAGES[500])
    return (
        render_template(
            "errors/error.html", title=title or default_title, message=message or default_message, status=status
        ),
        status,
    )


def register(app: Flask) -> None:
    """Route every HTTP error (and every crash) to a translated page."""

    @app.errorhandler(CSRFError)
    def _csrf(error: CSRFError) -> ResponseReturnValue:
        return render_error(400, *_CSRF)

    @app.errorhandler(HTTPException)
    def _http(error: HTTPException) -> ResponseReturnValue:
        if error.code is None or error.code < 400:
            return error
        return render_error(error.code)

    @app.errorhandler(InternalServerError)
    def _crash(error: InternalServerError) -> ResponseReturnValue:
        # A failed statement leaves the transaction unusable: roll it back, or the page itself fails
        # (PendingRollbackError) when it loads the signed-in user.
        db.session.rollback()
        return render_error(500)
