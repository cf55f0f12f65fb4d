"""Who may do what in the back office: roles, and the tenancy limit set for every request."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import abort
from flask_login import current_user

from .. import audit
from ..extensions import db
from ..models import Staff
from ..models.tenancy import limit_to


def current_staff() -> Staff:
    """The signed-in staff member (404 for anyone else: newcomers learn nothing of the back office)."""
    if not current_user.is_authenticated or current_user.staff is None:
        abort(404)
    return current_user.staff


def scope_request() -> None:
    """Every staff request sees only the municipalities granted to its staff member.

    Registered once for the whole app (``app.before_request`` in ``create_app``), before any
    blueprint's own checks: a new blueprint cannot forget it.
    """
    if current_user.is_authenticated and current_user.staff is not None:
        limit_to(current_user.staff.municipality_ids)


def requires(*roles: str) -> Callable:
    """Only these roles; others get 404 and an audit entry."""

    def decorate(view: Callable) -> Callable:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            staff = current_staff()
            if staff.role not in roles:
                audit.record("access.refused", result=audit.DENIED)
                db.session.commit()
                abort(404)
            return view(*args, **kwargs)

        return wrapper

    return decorate
