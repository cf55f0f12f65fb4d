"""Every action the code records in the audit log has a readable name for the beheerder's filter."""

from __future__ import annotations

import re
from pathlib import Path

from app.audit import ACTION_GROUPS, ACTIONS
from tests.conftest import staff_sign_in

APP = Path(__file__).resolve().parents[2] / "app"
RECORDED = re.compile(r'audit\.record\(\s*"([a-z_]+\.[a-z_]+)"')
ASSIGNED = re.compile(r'\baction = "([a-z_]+\.[a-z_]+)"(?: if .* else "([a-z_]+\.[a-z_]+)")?')


def recorded_actions() -> set[str]:
    found: set[str] = set()
    for path in APP.rglob("*.py"):
        source = path.read_text()
        found.update(RECORDED.findall(source))
        for pair in ASSIGNED.findall(source):
            found.update(name for name in pair if name)
    return found


def test_every_recorded_action_has_a_readable_name():
    actions = recorded_actions()
    assert {"file.viewed", "staff.sign_in", "staff.disabled", "staff.enabled"} <= actions  # the scan works
    assert sorted(actions - set(ACTIONS)) == []


def test_the_audit_filter_offers_actions_by_name(client, make_staff):
    staff_sign_in(client, make_staff(role="beheerder"))
    page = client.get("/admin/audit")
    assert page.status_code == 200
    assert '<select class="utrecht-select" id="action" name="action">' in page.text
    assert '<option value="file.">Every action on files</option>' in page.text
    assert '<option value="staff.sign_in">Staff sign-in</option>' in page.text
    signed_in = client.get("/admin/audit?action=staff.sign_in")
    assert "<td>Staff sign-in <code" in signed_in.text
    assert client.get("/admin/audit?action=not.an.action").status_code == 422
    assert set(ACTION_GROUPS) <= {name.split(".")[0] + "." for name in ACTIONS}
