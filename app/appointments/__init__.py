"""Appointments of the route: booking and moving them, group sessions, attendance, the route tracker,
calendar files, and the SMS about them (through the outbox).

``services`` holds the verbs (book, invite, move, cancel, remove, record attendance, respond), each
writing its outbox rows in the caller's transaction; ``planning`` turns an appointment into planned
SMS (the pure rules are in ``workflows/reminders.py``); ``replies`` matches an SMS answer 1/2 to an
appointment. Pages: the newcomer's (``/route``, ``/appointments/...``, the calendar feed) and the
klantmanager's, nested in the back office (``/backoffice/appointments/...``, endpoints
``backoffice.appointments.*``) so that the back office's rules apply (staff only, tenancy).
"""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("route", __name__)
staff_bp = Blueprint("appointments", __name__, url_prefix="/appointments")


def blueprint() -> Blueprint:
    """The newcomer's blueprint, with the klantmanager's nested into the back office's (call before registering it)."""
    from ..backoffice import bp as backoffice_bp

    # each module adds its routes: the newcomer's pages, the route page, the klantmanager's pages,
    # the agenda and the progress records
    from . import agenda, progress_routes, route_page, routes, staff_routes  # noqa: F401

    if not any(nested is staff_bp for nested, _options in backoffice_bp._blueprints):
        backoffice_bp.register_blueprint(staff_bp)
    return bp
