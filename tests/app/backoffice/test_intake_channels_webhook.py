"""The whole way round: the klantmanager sends the intake's questions by SMS, the newcomer answers
through Twilio's signed inbound webhook, and the file and its transcript show it."""

from __future__ import annotations

import inspect

import pytest

from app.sms import inbound
from tests.app.backoffice.test_casefiles import make_file
from tests.app.test_webhooks import INBOUND, signed, sms_from
from tests.conftest import csrf_token

PHONE = "+31612345688"


def test_replies_by_sms_reach_the_file_and_its_transcript(hooks, klantmanager, sms):
    if "conversation_for" not in inspect.getsource(inbound):
        pytest.skip("helper B is hooking the SMS conversation into app/sms/inbound.py (issue 9)")
    file_id = make_file(hooks, status="invited", phone=PHONE)
    path = f"/backoffice/newcomers/{file_id}/intake-sms/start"
    confirm = klantmanager.get(path)
    assert klantmanager.post(path, data={"csrf_token": csrf_token(confirm.text)}).status_code == 302
    [(to, first_question)] = sms.sent
    assert to == PHONE
    phone = hooks.test_client()  # Twilio, posting what the newcomer typed
    for _attempt in range(2):  # the name she wants us to use; Twilio retries the same MessageSid
        assert signed(phone, INBOUND, sms_from(PHONE, "Amal 🌸", sid="SMwebhook0001")).status_code == 200
    page = klantmanager.get(f"/backoffice/newcomers/{file_id}").text
    assert "1 answer by SMS." in page
    assert "Intake by SMS: asking" in page
    transcript = klantmanager.get(f"/backoffice/newcomers/{file_id}/intake-sms").text
    assert transcript.count("transcript__reply") == 1  # the retried webhook is one reply
    assert '<bdi dir="auto">Amal 🌸</bdi>' in transcript
    assert "From the newcomer: answer accepted" in transcript
    assert transcript.count("transcript__question") >= 2  # the first question, and the next
    assert first_question.split(":", 1)[0] in transcript
