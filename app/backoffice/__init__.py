"""The back office: klantmanagers' caseload and files; reports for policy staff; administration."""

from flask import Blueprint

bp = Blueprint("backoffice", __name__, url_prefix="/backoffice")

from . import details_routes, import_routes, messages_view, pip_routes, privacy_routes, routes  # noqa: E402, F401
