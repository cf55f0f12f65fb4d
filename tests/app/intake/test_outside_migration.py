"""Outside tests of migration 0014 (intake_sessions -> fillings): what else points at an intake row,
and the way back down and up again, on SQLite and (with TEST_DATABASE_URL) on a fresh PostgreSQL."""

from __future__ import annotations

import json

from flask_migrate import downgrade, upgrade
from sqlalchemy import text

from app.extensions import db
from tests.app.test_migrations import blank_any, run  # noqa: F401 - blank_any is a fixture

__all__ = ["blank_any"]


def loaded(value):  # noqa: ANN001, ANN201 - JSON comes back parsed on PostgreSQL, as text on SQLite
    return json.loads(value) if isinstance(value, str) else value


def _a_file_with_an_intake_at_0013() -> None:
    upgrade(revision="0013")
    run("INSERT INTO municipalities (id, code, name) VALUES (1, '0405', 'Hoorn')")
    run(
        "INSERT INTO newcomers (id, name, phone, language, doelgroep, status, municipality_id, created_at,"
        " updated_at) VALUES (10, 'N', '+31612340010', 'ar', 'statushouder', 'intake_submitted', 1,"
        " '2026-01-01 00:00:00', '2026-01-01 00:00:00')"
    )
    run(
        "INSERT INTO intake_sessions (id, newcomer_id, municipality_id, workflow_id, workflow_version, answers,"
        " completed_steps, channel, locale, status, started_at, updated_at, submitted_at, question, reviewed_at)"
        " VALUES (7, 10, 1, 'brede_intake', 1, :answers, '[\"about_you\"]', 'web', 'ar', 'submitted',"
        " '2026-01-02 09:00:00', '2026-01-03 10:00:00', '2026-01-03 10:00:00', NULL, NULL)",
        answers=json.dumps({"preferred_name": "أمل \u200c", "school_years": 9, "skills": ["cooking"]}),
    )


def test_outbox_causes_of_an_old_intake_point_at_its_filling(blank_any):  # noqa: F811
    with blank_any.app_context():
        _a_file_with_an_intake_at_0013()
        run(
            "INSERT INTO outbound_messages (id, newcomer_id, municipality_id, to_phone, kind, category, priority,"
            " cause_type, cause_id, idempotency_key, locale, body, segments, encoding, status, attempts,"
            " send_after, expires_at, next_attempt_at, in_doubt, callback_token, created_at, sent_at)"
            " VALUES (1, 10, 1, '+31612340010', 'intake_received', 'notices', 5, 'intake_session', 7,"
            " 'intake_received:7:2026-01-03', 'ar', 'Gemeente Hoorn: ...', 1, 'UCS-2', 'sent', 1,"
            " '2026-01-03 10:00:00', '2026-01-04 10:00:00', '2026-01-03 10:00:00', :no, 'cb1',"
            " '2026-01-03 10:00:00', '2026-01-03 10:00:05')",
            no=False,
        )
        upgrade(revision="0014")
        cause = db.session.execute(text("SELECT cause_type, cause_id FROM outbound_messages WHERE id = 1")).one()
        assert tuple(cause) == ("filling", 7)


def test_down_and_up_again_keeps_the_intake_and_drops_only_what_0013_cannot_hold(blank_any):  # noqa: F811
    """Guard: a survey filling-in and the SMS replies go on the way down (0013 has no place for
    them); the intake's answers come back up with their id."""
    with blank_any.app_context():
        _a_file_with_an_intake_at_0013()
        upgrade(revision="0014")
        run(
            "INSERT INTO fillings (id, newcomer_id, municipality_id, workflow_id, workflow_version, occasion,"
            " answers, completed_steps, asked, answer_channels, channel, locale, status, started_at, updated_at,"
            " sms_sequence, sms_tries) VALUES (8, 10, 1, 'satisfaction', 1, '2026-H1', '{}', '[]', '[]', '{}',"
            " 'sms', 'ar', 'in_progress', '2026-02-01 00:00:00', '2026-02-01 00:00:00', 3, 0)"
        )
        run(
            "INSERT INTO filling_replies (filling_id, municipality_id, provider_sid, body, field_id, outcome,"
            " created_at) VALUES (7, 1, 'SM1', 'نعم', 'wants_study', 'accepted', '2026-01-02 10:00:00')"
        )
        downgrade(revision="0013")
        rows = db.session.execute(text("SELECT id, answers, status FROM intake_sessions ORDER BY id")).all()
        assert [row.id for row in rows] == [7]
        assert loaded(rows[0].answers)["preferred_name"] == "أمل \u200c"
        db.session.commit()  # the read's transaction would hold the table: 0014 drops it
        upgrade(revision="0014")
        rows = db.session.execute(text("SELECT id, answers, answer_channels FROM fillings ORDER BY id")).all()
        assert [row.id for row in rows] == [7]
        assert loaded(rows[0].answers) == {"preferred_name": "أمل \u200c", "school_years": 9, "skills": ["cooking"]}
        assert loaded(rows[0].answer_channels) == {"preferred_name": "web", "school_years": "web", "skills": "web"}
        assert db.session.scalar(text("SELECT COUNT(*) FROM filling_replies")) == 0
