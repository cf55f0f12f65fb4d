"""The beheerder's administration: staff accounts, municipalities and the audit log."""

from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin")

from . import (  # noqa: E402, F401
    partners_routes,  # noqa: E402, F401
    queue_routes,
    routes,
)
