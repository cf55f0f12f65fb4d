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
