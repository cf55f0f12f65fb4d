"""The beheerder's administration: staff accounts, municipalities and the audit log."""

from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin")

from . import queue_routes, routes  # noqa: E402, F401
