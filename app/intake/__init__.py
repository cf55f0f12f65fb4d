"""The brede intake: step by step (the form), question by question (the web chat, SMS), review, submit."""

from flask import Blueprint

bp = Blueprint("intake", __name__, url_prefix="/intake")

from . import chat, routes, sms_routes  # noqa: E402, F401
