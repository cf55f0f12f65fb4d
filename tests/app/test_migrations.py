"""Data migrations move what is there without loss, tested on a database with rows in it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask_migrate import upgrade
from sqlalchemy import text

from app import create_app
from app.extensions import db


@pytest.fixture
def blank(tmp_path: Path) -> Iterator[Flask]:
    """An app on an empty SQLite file, to be migrated step by step."""
    app = create_app({"ENV_NAME": "test", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'm.sqlite3'}"})
    yield app
    with app.app_context():
        db.engine.dispose()


def run(sql: str, **params: object) -> None:
    db.session.execute(text(sql), params)
    db.session.commit()


def test_0005_moves_recovery_codes_to_one_row_each(blank):
    with blank.app_context():
        upgrade(revision="0004")
        run(
            "INSERT INTO staff_members (id, email, name, role, language, password_hash, must_change_password,"
            " recovery_code_hashes, failed_logins, created_at) VALUES (1, 'a@example.nl', 'A', 'klantmanager',"
            " 'nl', 'x', 0, :codes, 0, '2026-01-01 00:00:00')",
            codes=json.dumps(["h1", "h2", "h3"]),
        )
        upgrade(revision="0005")
        rows = db.session.execute(text("SELECT staff_id, code_hash FROM staff_recovery_codes ORDER BY code_hash"))
        assert rows.all() == [(1, "h1"), (1, "h2"), (1, "h3")]
        assert db.session.scalar(text("SELECT auth_generation FROM staff_members")) == 0


def test_0009_gives_existing_files_the_klantmanager_who_registered_them(blank):
    with blank.app_context():
        upgrade(revision="0008")
        run("INSERT INTO municipalities (id, code, name) VALUES (1, '0405', 'Hoorn'), (2, '0388', 'Enkhuizen')")
        for staff_id, role, disabled in ((1, "klantmanager", None), (2, "beheerder", None), (3, "klantmanager", "x")):
            run(
                "INSERT INTO staff_members (id, email, name, role, language, password_hash, must_change_password,"
                " failed_logins, created_at, disabled_at, auth_generation) VALUES (:id, :email, 'S', :role, 'nl',"
                " 'x', 0, 0, '2026-01-01 00:00:00', :disabled, 0)",
                id=staff_id,
                email=f"s{staff_id}@example.nl",
                role=role,
                disabled="2026-02-01 00:00:00" if disabled else None,
            )
            run("INSERT INTO staff_municipalities (staff_id, municipality_id) VALUES (:id, 1)", id=staff_id)
        # 10: registered by klantmanager 1; 11: by the beheerder; 12: by a disabled account;
        # 13: by klantmanager 1 but in a municipality not granted to them; 14: no history.
        for newcomer_id, municipality_id, actor in ((10, 1, 1), (11, 1, 2), (12, 1, 3), (13, 2, 1), (14, 1, None)):
            run(
                "INSERT INTO newcomers (id, name, phone, language, doelgroep, status, municipality_id, created_at,"
                " updated_at) VALUES (:id, 'N', :phone, 'ar', 'statushouder', 'invited', :m, '2026-01-01 00:00:00',"
                " '2026-01-01 00:00:00')",
                id=newcomer_id,
                phone=f"+3161234{newcomer_id:04d}",
                m=municipality_id,
            )
            if actor:
                run(
                    "INSERT INTO status_changes (newcomer_id, municipality_id, to_status, actor_staff_id, at)"
                    " VALUES (:id, :m, 'registered', :actor, '2026-01-01 00:00:00')",
                    id=newcomer_id,
                    m=municipality_id,
                    actor=actor,
                )
        upgrade(revision="0009")
        rows = db.session.execute(text("SELECT id, klantmanager_id FROM newcomers ORDER BY id")).all()
        assert rows == [(10, 1), (11, None), (12, None), (13, None), (14, None)]


@pytest.fixture
def blank_any(tmp_path: Path) -> Iterator[Flask]:
    """An empty database to migrate: SQLite, and also a new PostgreSQL database when the suite runs
    on PostgreSQL (``TEST_DATABASE_URL``), dropped afterwards."""
    import os
    import uuid

    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    url = os.environ.get("TEST_DATABASE_URL", "")
    if not url.startswith("postgresql"):
        app = create_app({"ENV_NAME": "test", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'm.sqlite3'}"})
        yield app
        with app.app_context():
            db.engine.dispose()
        return
    name = f"migrate_{uuid.uuid4().hex[:10]}"
    admin = create_engine(make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    app = create_app({"ENV_NAME": "test", "SQLALCHEMY_DATABASE_URI": make_url(url).set(database=name)})
    try:
        yield app
    finally:
        with app.app_context():
            db.engine.dispose()
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE "{name}"'))
        admin.dispose()


def test_0014_moves_intake_rows_into_fillings_without_loss(blank_any):
    """Real answers (the engine's, of a whole intake) move with their ids; each answer gets the
    channel its row recorded; the unique key and the id sequence go on working."""
    from tests.workflows.test_intake import AMAL
    from workflows import engine, get_workflow
    from workflows.i18n import Context

    definition = get_workflow("brede_intake", 1)
    progress = engine.Progress()
    for step_id, raw in AMAL.items():
        result = engine.validate_step(definition.step(step_id), raw, progress.answers, Context(locale="ar"))
        progress = engine.apply_step(definition, progress, step_id, result.values)
    answers = dict(progress.answers)
    with blank_any.app_context():
        upgrade(revision="0013")
        run("INSERT INTO municipalities (id, code, name) VALUES (1, '0405', 'Hoorn')")
        for newcomer_id in (10, 11):
            run(
                "INSERT INTO newcomers (id, name, phone, language, doelgroep, status, municipality_id, created_at,"
                " updated_at) VALUES (:id, 'N', :phone, 'ar', 'statushouder', 'intake_submitted', 1,"
                " '2026-01-01 00:00:00', '2026-01-01 00:00:00')",
                id=newcomer_id,
                phone=f"+3161234{newcomer_id:04d}",
            )
        run(
            "INSERT INTO intake_sessions (id, newcomer_id, municipality_id, workflow_id, workflow_version, answers,"
            " completed_steps, channel, locale, status, started_at, updated_at, submitted_at, question, reviewed_at)"
            " VALUES (7, 10, 1, 'brede_intake', 1, :answers, :steps, 'web', 'ar', 'returned', '2026-01-02 09:00:00',"
            " '2026-01-03 10:00:00', '2026-01-03 10:00:00', 'Welke school? «مدرسة»', '2026-01-04 11:00:00'),"
            " (9, 11, 1, 'brede_intake', 1, '{}', '[]', 'web', 'ti', 'in_progress', '2026-01-05 09:00:00',"
            " '2026-01-05 09:00:00', NULL, NULL, NULL)",
            answers=json.dumps(answers, ensure_ascii=False),
            steps=json.dumps(list(progress.completed)),
        )
        upgrade(revision="0014")
        rows = db.session.execute(
            text(
                "SELECT id, newcomer_id, workflow_id, workflow_version, occasion, answers, completed_steps, asked,"
                " answer_channels, status, question, locale FROM fillings ORDER BY id"
            )
        ).all()
        assert [row.id for row in rows] == [7, 9]
        moved = rows[0]

        def loaded(value):  # noqa: ANN001, ANN202 - JSON comes back parsed on PostgreSQL, as text on SQLite
            return json.loads(value) if isinstance(value, str) else value

        assert loaded(moved.answers) == answers
        assert loaded(moved.completed_steps) == list(progress.completed)
        assert loaded(moved.answer_channels) == {key: "web" for key in answers}
        assert loaded(moved.asked) == []
        assert (moved.newcomer_id, moved.workflow_id, moved.workflow_version, moved.occasion) == (
            10,
            "brede_intake",
            1,
            "",
        )
        assert (moved.status, moved.question, moved.locale) == ("returned", "Welke school? «مدرسة»", "ar")
        assert loaded(rows[1].answers) == {}
        assert loaded(rows[1].answer_channels) == {}
        assert "intake_sessions" not in db.inspect(db.engine).get_table_names()
        # A new row gets an id after the moved ones; a second intake of the same person is refused.
        run(
            "INSERT INTO newcomers (id, name, phone, language, doelgroep, status, municipality_id, created_at,"
            " updated_at) VALUES (12, 'N', '+31612340012', 'fa', 'statushouder', 'invited', 1,"
            " '2026-01-01 00:00:00', '2026-01-01 00:00:00')"
        )
        insert = (
            "INSERT INTO fillings (newcomer_id, municipality_id, workflow_id, workflow_version, occasion, answers,"
            " completed_steps, asked, answer_channels, channel, locale, status, started_at, updated_at,"
            " sms_sequence, sms_tries) VALUES (:n, 1, 'brede_intake', 1, '', '{}', '[]', '[]', '{}', 'chat', 'fa',"
            " 'in_progress', '2026-02-01 00:00:00', '2026-02-01 00:00:00', 0, 0)"
        )
        run(insert, n=12)
        assert db.session.scalar(text("SELECT id FROM fillings WHERE newcomer_id = 12")) > 9
        with pytest.raises(Exception, match="(?i)unique"):
            run(insert, n=10)
        db.session.rollback()
