"""The Flask application: ``create_app`` is a readable list of steps."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask
from sqlalchemy.engine import make_url

from . import models  # noqa: F401 - registers every model with the metadata
from .config import INSTANCE_DIR, load_config
from .extensions import babel, csrf, db, limiter, login, migrate


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the app; ``config`` overrides the settings read from the environment."""
    app = Flask(__name__, instance_path=str(INSTANCE_DIR))
    app.config.from_mapping(load_config(config))
    configure_logging(app)
    configure_requests(app)
    configure_extensions(app)
    configure_blueprints(app)
    configure_security(app)
    configure_templates(app)
    configure_cli(app)
    return app


def configure_logging(app: Flask) -> None:
    """Plain logs, and no chatty third-party loggers that might print phone numbers or bodies."""
    app.logger.setLevel(app.config["LOG_LEVEL"])
    for name in ("twilio", "twilio.http_client", "urllib3"):
        logging.getLogger(name).setLevel(logging.WARNING)


def configure_requests(app: Flask) -> None:
    """What a request may carry, in one place: no control characters, ids within bounds; proxies."""
    from werkzeug.middleware.proxy_fix import ProxyFix

    from .params import CleanRequest, IdConverter, without_url_for_arguments

    app.request_class = CleanRequest
    app.url_map.converters["int"] = IdConverter  # before any route is added
    app.add_template_filter(without_url_for_arguments, "link_args")
    if proxies := app.config["PROXY_FIX"]:
        # Only behind that many trusted proxies: the client address is then the real one (rate limits).
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)  # type: ignore[method-assign]


def configure_extensions(app: Flask) -> None:
    """Bind the extensions created in ``extensions.py``."""
    from . import sms
    from .i18n import select_locale

    INSTANCE_DIR.mkdir(exist_ok=True)
    if str(app.config["SQLALCHEMY_DATABASE_URI"]).startswith("postgresql"):
        # No JIT compilation: the app's statements are short, and the reports' few large ones spent
        # more time being compiled than running (docs/benchmarks.md, the reports at regional scale).
        # libpq's ``options`` given in the URL (a search_path) or in connect_args are kept: connect_args
        # replace the URL's query values, so all of them are joined into one.
        options = dict(app.config["SQLALCHEMY_ENGINE_OPTIONS"])
        connect_args = dict(options.get("connect_args", {}))
        given = make_url(str(app.config["SQLALCHEMY_DATABASE_URI"])).query.get("options", ())
        given = [given] if isinstance(given, str) else list(given)
        connect_args["options"] = " ".join([*given, *filter(None, [connect_args.get("options")]), "-c jit=off"])
        options["connect_args"] = connect_args
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options
    db.init_app(app)
    migrate.init_app(app, db, directory=str(INSTANCE_DIR.parent / "migrations"), render_as_batch=True)
    babel.init_app(app, locale_selector=select_locale, timezone_selector=lambda: "Europe/Amsterdam")
    csrf.init_app(app)
    login.init_app(app)
    login.login_view = "auth.login_page"
    login.session_protection = None  # sessions are checked on the server instead
    from flask_babel import lazy_gettext as _l

    login.login_message = _l("Please sign in to continue.")
    login.login_message_category = "info"
    limiter.init_app(app)
    sms.init_app(app)


def configure_blueprints(app: Flask) -> None:
    """One blueprint per feature."""
    from .admin import bp as admin_bp
    from .appointments import blueprint as appointments_blueprint
    from .auth import bp as auth_bp
    from .backoffice import bp as backoffice_bp
    from .backoffice.access import scope_request
    from .conversation import blueprint as conversation_blueprint
    from .intake import bp as intake_bp
    from .main import bp as main_bp
    from .main.errors import register as register_errors
    from .reports import bp as reports_bp
    from .sms.webhooks import bp as sms_webhooks_bp
    from .staff import bp as staff_bp
    from .surveys import bp as surveys_bp

    # Tenancy for every staff request, whatever the blueprint: before any blueprint's own checks.
    app.before_request(scope_request)
    messages_bp = conversation_blueprint()  # nests the klantmanager's part into backoffice_bp (once)
    route_bp = appointments_blueprint()  # the same for appointments
    app.register_blueprint(main_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(intake_bp)
    app.register_blueprint(messages_bp)
    app.register_blueprint(route_bp)
    app.register_blueprint(staff_bp)
    app.register_blueprint(backoffice_bp)
    app.register_blueprint(admin_bp)
    app.register_blueprint(sms_webhooks_bp)
    app.register_blueprint(reports_bp)
    app.register_blueprint(surveys_bp)
    if app.config["BENCH_ROUTES"]:
        from .bench import bp as bench_bp

        app.register_blueprint(bench_bp)
    register_errors(app)


def configure_security(app: Flask) -> None:
    """Security headers on every response."""
    from .security import init_app

    init_app(app)


def configure_templates(app: Flask) -> None:
    """Template globals: languages, static URLs with a content hash."""
    from .templating import init_app

    init_app(app)


def configure_cli(app: Flask) -> None:
    """The ``flask`` commands."""
    from .cli import register

    register(app)
