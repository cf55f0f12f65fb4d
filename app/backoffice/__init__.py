"""The back office: klantmanagers' caseload and files; reports for policy staff; administration."""

from flask import Blueprint

bp = Blueprint("backoffice", __name__, url_prefix="/backoffice")

from . import routes  # noqa: E402, F401
