"""The conversation on every file: the klantmanager writes from the file, the newcomer reads signed in and answers.

Two blueprints: ``messages`` for the newcomer (``/messages``, and ``/m``, the short link of the
SMS), and ``conversation`` for the klantmanager, nested in the back office
(``/backoffice/newcomers/<id>/messages``, endpoints ``backoffice.conversation.*``) so that the back
office's rules apply to it as to every file route: staff only, tenancy, erased files read-only.

Importing this package has no side effects (the back office's services import ``services``);
:func:`blueprint` wires the routes in, once, before the back office is registered.
"""

from __future__ import annotations

from flask import Blueprint, current_app, request
from flask_login import current_user

from ..extensions import limiter

bp = Blueprint("messages", __name__)


def newcomer_key() -> str:
    """Rate-limit key for one signed-in newcomer (people in one reception centre share an address)."""
    user = current_user
    return f"newcomer:{user.newcomer.id}" if user.is_authenticated and user.newcomer else f"ip:{request.remote_addr}"


def reply_limit() -> str:
    """How many answers a newcomer may write on the web (``MESSAGE_REPLY_LIMIT``), on every page that takes one."""
    return current_app.config["MESSAGE_REPLY_LIMIT"]


answers_limited = limiter.shared_limit(reply_limit, scope="newcomer-answers", key_func=newcomer_key)
"""One budget for every page where a newcomer writes an answer (/messages, the review page)."""


staff_bp = Blueprint("conversation", __name__, url_prefix="/newcomers")


def blueprint() -> Blueprint:
    """The newcomer's blueprint, with the klantmanager's nested into the back office's (call before registering it)."""
    from ..backoffice import bp as backoffice_bp
    from . import routes  # noqa: F401 - adds the routes, the template globals and the back office's hook

    if not any(nested is staff_bp for nested, _options in backoffice_bp._blueprints):
        backoffice_bp.register_blueprint(staff_bp)
    return bp
