"""The back office: klantmanagers' caseload and files; reports for policy staff; administration."""

from flask import Blueprint

bp = Blueprint("backoffice", __name__, url_prefix="/backoffice")

from . import (  # noqa: E402, F401
    details_routes,
    history_routes,
    import_routes,
    messages_view,
    pip_routes,
    privacy_routes,
    records_routes,
    routes,
)
