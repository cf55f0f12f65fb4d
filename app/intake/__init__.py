"""The brede intake on the web: step by step, review, submit."""

from flask import Blueprint

bp = Blueprint("intake", __name__, url_prefix="/intake")

from . import routes  # noqa: E402, F401
