"""Pages that belong to no feature: home, language choice, health check, error pages, dev inbox."""

from flask import Blueprint

bp = Blueprint("main", __name__)

from . import routes  # noqa: E402, F401
