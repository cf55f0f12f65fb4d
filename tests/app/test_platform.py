"""The platform: health check, migrations that match the models, the CLI."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import select, text
from sqlalchemy.engine import make_url

from app import create_app
from app.cli import Refused, invite
from app.extensions import db
from app.models import Invitation, Municipality, Newcomer


def test_health_check(client):
    """The app, the database and the outbox in figures (the queue's own tests: tests/app/test_queue_page.py)."""
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {
        "status": "ok",
        "database": "ok",
        "outbox": {"due": 0, "due_capped": False, "oldest_due_age_seconds": None, "max_due_age_seconds": 300},
        "workers": {"live": 0, "last_heartbeat_seconds_ago": None},
    }


def test_health_check_when_the_database_is_down(make_app):
    app = make_app(SQLALCHEMY_DATABASE_URI="postgresql+psycopg://nobody@127.0.0.1:1/none")
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.json == {"status": "error", "database": "unavailable"}


def test_migrations_match_the_models(app):
    """The test database was built by Alembic; autogenerate must find nothing to add."""
    with app.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, db.metadata) == []


def test_invite_newcomer_command(app, municipality_id):
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=[
            "invite-newcomer",
            "--name",
            "ዮናስ ተስፋይ",
            "--phone",
            "06 1234 5602",
            "--gemeente",
            "0405",
            "--language",
            "ti",
        ]
    )
    assert result.exit_code == 0, result.output
    last = result.output.strip().splitlines()[-1]
    assert last.startswith("http://127.0.0.1:5000/i/")
    again = runner.invoke(
        args=["invite-newcomer", "--name", "Yonas", "--phone", "+31612345602", "--gemeente", "0405", "--language", "ti"]
    )
    assert again.exit_code == 0
    with app.app_context():
        newcomers = db.session.scalars(select(Newcomer)).all()
        assert [(n.name, n.phone, n.language) for n in newcomers] == [("ዮናስ ተስፋይ", "+31612345602", "ti")]
        assert db.session.query(Invitation).count() == 2


def test_invite_newcomer_refuses_bad_arguments(app, municipality_id):
    runner = app.test_cli_runner()
    cases = {
        ("--phone", "12345"): "invalid phone number",
        ("--gemeente", "9999"): "unknown gemeentecode",
        ("--language", "de"): "unsupported language",
    }
    for (option, value), reason in cases.items():
        args = {"--name": "Zahra", "--phone": "0612345603", "--gemeente": "0405", "--language": "fa", option: value}
        result = runner.invoke(args=["invite-newcomer", *[x for pair in args.items() for x in pair]])
        assert result.exit_code != 0
        lines = result.output.strip().splitlines()
        assert len(lines) == 1
        assert reason in lines[0]


def test_seed_demo_is_idempotent(app):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["seed-demo"])
    second = runner.invoke(args=["seed-demo"])
    assert first.exit_code == 0
    assert second.exit_code == 0
    assert first.output.count("/i/") == 6
    with app.app_context():
        assert db.session.query(Newcomer).count() == 6
        assert db.session.query(Municipality).count() == 7


def test_invite_keeps_a_newcomer_in_their_municipality(app, municipality_id):
    with app.app_context():
        db.session.add(Municipality(code="0420", name="Medemblik"))
        db.session.commit()
        invite("Mehmet", "0612345604", "0405", "tr")
        db.session.commit()
        with pytest.raises(Refused, match="another municipality"):
            invite("Mehmet", "0612345604", "0420", "tr")


def test_postgresql_options_in_the_url_are_kept_beside_jit_off(database_url: str) -> None:
    """connect_args replace the URL's query values: a search_path given in the URL must survive jit=off."""
    base = database_url if database_url.startswith("postgresql") else "postgresql+psycopg://postgres@127.0.0.1/test"
    url = make_url(base).update_query_dict({"options": "-csearch_path=reports_1,public"}).render_as_string(False)
    app = create_app({"ENV_NAME": "test", "SQLALCHEMY_DATABASE_URI": url})
    options = app.config["SQLALCHEMY_ENGINE_OPTIONS"]["connect_args"]["options"]
    assert options.split() == ["-csearch_path=reports_1,public", "-c", "jit=off"]
    if database_url.startswith("postgresql"):  # and the server sees both
        with app.app_context():
            with db.engine.connect() as connection:
                assert connection.scalar(text("SHOW search_path")) == "reports_1,public"
                assert connection.scalar(text("SHOW jit")) == "off"
            db.engine.dispose()
