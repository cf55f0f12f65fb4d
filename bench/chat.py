"""The web chat against the form, in one run: one chat turn vs one form step cycle, and the chat's weight.

With the Flask test client, in-process, on a throwaway SQLite file (or on PostgreSQL with
``BENCH_DATABASE_URL``, created when missing and emptied), newcomers signed in through the real
invitation flow fill in the whole brede intake, alternately in the form and in the chat (without
JavaScript: the path every phone can take), with the same answers:

- form step cycle: GET ``/intake/<step>``, POST the step's answers, follow the redirect (the next
  step's page); one cycle answers every question of the step;
- chat turn: GET ``/intake/chat`` (the conversation so far and the question), POST one answer,
  follow the redirect (the chat again, with the next question); one turn answers one question.

Prints p50/p95 per cycle and per turn, and the ratio chat/form per step (a turn against a cycle)
and per question (a turn against a cycle divided by the questions the step asks), and the whole
intake's time in each. Then the chat page's first-visit weight: its HTML and every stylesheet and
script it links, gzipped at level 6 as the proxy would, and the chat's own extra (what the chat
page links that the form does not) against the 15 KB budget.

    .venv/bin/python bench/chat.py [--intakes 12]
    BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/intake_bench .venv/bin/python bench/chat.py
"""

from __future__ import annotations

import argparse
import gzip
import os
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import select

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app import create_app  # noqa: E402
from app.cli import invite  # noqa: E402
from app.extensions import db  # noqa: E402
from app.models import Filling, Municipality  # noqa: E402
from tests.app.test_intake import WEB  # noqa: E402
from workflows import engine, get_workflow  # noqa: E402

LEVEL = 6
BUDGET = 15 * 1024
CSRF = re.compile(r'name="csrf_token"(?: type="hidden")? value="([^"]+)"')
ASSETS = re.compile(r'(?:href|src)="(/static/[^"?]+\.(?:css|js))(?:\?[^"]*)?"')


def gz(body: bytes) -> int:
    """Bytes after gzip at the proxy's level."""
    return len(gzip.compress(body, compresslevel=LEVEL))


def headers_size(response) -> int:  # noqa: ANN001
    """Bytes of the response's status line and headers, roughly as sent."""
    return sum(len(k) + len(v) + 4 for k, v in response.headers.items()) + 17


def percentile(values: list[float], p: int) -> float:
    """The ``p``-th percentile in milliseconds."""
    if len(values) < 2:
        return values[0] * 1000
    return statistics.quantiles(values, n=100, method="inclusive")[p - 1] * 1000


# -- the app -----------------------------------------------------------------------------------------


def build_app(url: str | None):  # noqa: ANN201 - a Flask app
    """The app on a migrated database: a throwaway SQLite file, or ``url`` emptied first."""
    from flask_migrate import upgrade

    if url is None:
        url = f"sqlite:///{tempfile.mkdtemp()}/chat.sqlite3"
    else:
        from bench.throughput import fresh_database

        fresh_database(url)
    app = create_app(
        {
            "ENV_NAME": "test",
            "SQLALCHEMY_DATABASE_URI": url,
            "LOG_LEVEL": "WARNING",
            # Every newcomer signs in from the same address here: the limits per address are lifted.
            "CODE_LIMIT_PER_IP": "1000000 per minute",
            "LOGIN_LIMIT_PER_IP": "1000000 per minute",
        }
    )
    with app.app_context():
        upgrade()
        db.session.add(Municipality(code="0405", name="Hoorn"))
        db.session.commit()
    return app


class Newcomers:
    """Newcomers signed in through the real invitation flow, each with a test client of their own."""

    def __init__(self, app, language: str = "ar") -> None:  # noqa: ANN001
        self.app = app
        self.language = language
        self.count = 0

    def sign_in(self):  # noqa: ANN201 - a FlaskClient
        """A new newcomer's client, signed in (the intake not started)."""
        self.count += 1
        with self.app.app_context():
            _person, link = invite(f"Bench {self.count}", f"06{30000000 + self.count}", "0405", self.language)
            db.session.commit()
        client = self.app.test_client()
        path = "/" + link.split("://", 1)[1].split("/", 1)[1]
        page = client.get(path)
        done = client.post(path, data={"csrf_token": CSRF.search(page.text).group(1)})
        assert done.status_code == 302, done.status_code
        return client


# -- the form ----------------------------------------------------------------------------------------


def form_intake(client) -> list[tuple[str, float]]:  # noqa: ANN001
    """Fill in the whole intake in the form, one timed step cycle per step: (step id, seconds)."""
    cycles = []
    for step_id, answers in WEB.items():
        began = time.perf_counter()
        page = client.get(f"/intake/{step_id}")
        assert page.status_code == 200, (step_id, page.status_code)
        sent = client.post(f"/intake/{step_id}", data={"csrf_token": CSRF.search(page.text).group(1), **answers})
        assert sent.status_code == 302, (step_id, sent.status_code)
        after = client.get(sent.headers["Location"])
        assert after.status_code == 200, (step_id, after.status_code)
        cycles.append((step_id, time.perf_counter() - began))
    return cycles


def questions_per_step(app) -> dict[str, int]:  # noqa: ANN001
    """How many questions each step asked for the scripted answers (conditions included), read from
    the stored intakes (every one has the same answers)."""
    with app.app_context():
        filling = db.session.scalars(select(Filling).where(Filling.workflow_id == "brede_intake")).first()
        workflow = get_workflow(filling.workflow_id, filling.workflow_version)
        return {step.id: len(engine.visible_fields(step, filling.answers)) for step in workflow.steps}


# -- the chat ----------------------------------------------------------------------------------------


ANSWERS = {name: value for answers in WEB.values() for name, value in answers.items()}
"""The form's answers by question; a chat answers a choice with its value, as its buttons do."""
FIELD = re.compile(r'<input type="hidden" name="field_id" value="([^"]+)"')
FETCH = {"X-Requested-With": "fetch"}


def _chat_answer(page: str) -> dict | None:
    """The POST that answers the question the chat page asks (``None`` when nothing is left)."""
    found = FIELD.search(page)
    if found is None:
        return None
    field_id = found.group(1)
    value = ANSWERS.get(field_id, "")
    data = {"csrf_token": CSRF.search(page).group(1), "field_id": field_id}
    if value in ("", []):
        return {**data, "skip": "1"}
    return {**data, "answer": value}


def chat_intake(client) -> list[tuple[str, float]]:  # noqa: ANN001
    """Fill in the whole intake in the chat without JavaScript, one timed turn per question
    (GET the chat, POST the answer, follow the 303 to the chat again): (field id, seconds)."""
    turns = []
    while True:
        began = time.perf_counter()
        page = client.get("/intake/chat")
        assert page.status_code == 200, page.status_code
        data = _chat_answer(page.text)
        if data is None:
            return turns
        sent = client.post("/intake/chat", data=data)
        assert sent.status_code == 303, (data["field_id"], sent.status_code)
        after = client.get(sent.headers["Location"])
        assert after.status_code == 200, (data["field_id"], after.status_code)
        turns.append((data["field_id"], time.perf_counter() - began))


def chat_intake_with_script(client) -> list[tuple[str, float]]:  # noqa: ANN001
    """The same with JavaScript: the page once, then one timed POST per question, answered with
    the JSON fragments chat.js appends (the next composer carries the next question)."""
    page = client.get("/intake/chat")
    composer = page.text
    turns = []
    while (data := _chat_answer(composer)) is not None:
        began = time.perf_counter()
        sent = client.post("/intake/chat", data=data, headers=FETCH)
        assert sent.status_code == 200, (data["field_id"], sent.status_code)
        composer = sent.get_json()["composer"]
        turns.append((data["field_id"], time.perf_counter() - began))
    return turns


# -- the report --------------------------------------------------------------------------------------


def row(name: str, seconds: list[float]) -> str:
    """A table row: how many, p50 and p95 in milliseconds."""
    return f"| {name} | {len(seconds):,} | {percentile(seconds, 50):.1f} | {percentile(seconds, 95):.1f} |"


def timings(people: Newcomers, intakes: int) -> None:
    """Fill in ``intakes`` intakes in each way, in turn (one warm-up each first), and print."""
    app = people.app
    drive: dict[str, Callable] = {"form": form_intake, "chat": chat_intake, "script": chat_intake_with_script}
    for work in drive.values():
        work(people.sign_in())
    measured: dict[str, list[list[tuple[str, float]]]] = {name: [] for name in drive}
    for _ in range(intakes):
        for name, work in drive.items():
            measured[name].append(work(people.sign_in()))

    per_step = questions_per_step(app)
    flat = {name: [s for intake in runs for _, s in intake] for name, runs in measured.items()}
    whole = {name: [sum(s for _, s in intake) for intake in runs] for name, runs in measured.items()}
    form_per_question = [s / per_step[step] for intake in measured["form"] for step, s in intake]
    questions = sum(per_step[step] for step in WEB)
    turns = len(measured["chat"][0])
    assert turns == questions == len(measured["script"][0]), (turns, questions)
    database = "PostgreSQL" if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql") else "SQLite"

    print(
        f"{intakes} intakes in each way, in turn, Flask test client in-process, {database}; with these answers "
        f"the intake asks {questions} questions in {len(WEB)} steps ({questions / len(WEB):.1f} per step): "
        f"{len(WEB)} form cycles or {turns} chat turns per intake\n"
    )
    print("| | count | p50 ms | p95 ms |")
    print("|---|---:|---:|---:|")
    print(row("form step cycle (GET step, POST step, redirect)", flat["form"]))
    print(row("chat turn without JavaScript (GET chat, POST answer, redirect)", flat["chat"]))
    print(row("chat turn with JavaScript (POST answer, JSON fragments)", flat["script"]))
    for name, label in (("chat", "without"), ("script", "with")):
        first = [s for intake in measured[name] for _, s in intake[:10]]
        last = [s for intake in measured[name] for _, s in intake[-10:]]
        print(row(f"chat turn {label} JavaScript, questions 1-10", first))
        print(row(f"chat turn {label} JavaScript, questions {turns - 9}-{turns}", last))
    print(row("form, per question (a cycle / the questions of its step)", form_per_question))
    print(row("whole intake in the form", whole["form"]))
    print(row("whole intake in the chat without JavaScript", whole["chat"]))
    print(row("whole intake in the chat with JavaScript", whole["script"]))
    p50 = {name: statistics.median(values) for name, values in flat.items()}
    per_step_ratio = p50["chat"] / p50["form"]
    per_question = p50["chat"] / statistics.median(form_per_question)
    print(
        f"\nRatio chat/form, p50, without JavaScript: per step (one turn / one cycle) **{per_step_ratio:.2f}**; "
        f"per question (one turn / a cycle's share per question) **{per_question:.2f}**; "
        f"whole intake **{statistics.median(whole['chat']) / statistics.median(whole['form']):.2f}**. "
        f"With JavaScript: per step **{p50['script'] / p50['form']:.2f}**, whole intake "
        f"**{statistics.median(whole['script']) / statistics.median(whole['form']):.2f}**."
    )


def assets(html: str) -> list[str]:
    """The stylesheets and scripts a page links, in order."""
    return list(dict.fromkeys(ASSETS.findall(html)))


def weight(people: Newcomers) -> None:
    """The chat page's first visit, per resource, and the chat's own extra against the budget; then
    the chat page's HTML as the conversation grows (the stylesheets and scripts are cached)."""
    client = people.sign_in()
    first = client.get("/intake/chat")
    form_assets = set(assets(client.get("/intake/about_you").text))
    resources = [("/intake/chat (HTML)", len(first.data), gz(first.data), headers_size(first))]
    extra = 0
    for url in assets(first.text):
        asset = client.get(url)
        resources.append((url, len(asset.data), gz(asset.data), headers_size(asset)))
        if url not in form_assets or url.rsplit("/", 1)[-1].startswith("chat"):
            extra += gz(asset.data)
        asset.close()

    pages = [("first question", first.data)]
    labels = {"country_of_birth": "the country list", "answers_true": "the last question"}
    while (data := _chat_answer(page := client.get("/intake/chat").text)) is not None:
        if data["field_id"] in labels:
            pages.append((labels[data["field_id"]], page.encode()))
        client.post("/intake/chat", data=data)
    pages.append(("every question answered", page.encode()))

    print(f"First visit to the chat (Arabic; gzip level {LEVEL}):\n")
    print("| resource | raw bytes | gzip bytes | gzip + headers |")
    print("|---|---:|---:|---:|")
    for name, raw, packed, head in resources:
        print(f"| {name} | {raw:,} | {packed:,} | {packed + head:,} |")
    total = sum(r[2] for r in resources)
    wire = sum(r[2] + r[3] for r in resources)
    print(f"| **total** | {sum(r[1] for r in resources):,} | **{total:,}** | **{wire:,}** |")
    print(
        f"\nThe chat's own JavaScript and CSS (what the form does not load): **{extra:,}** bytes gzip, "
        f"budget {BUDGET:,}: {'met' if extra <= BUDGET else 'NOT met'} ({extra / 1024:.1f} KB).\n"
    )
    print("The chat page's HTML as the conversation grows (without JavaScript the whole page comes each turn):\n")
    print("| chat page at | raw bytes | gzip bytes |")
    print("|---|---:|---:|")
    for name, body in pages:
        print(f"| {name} | {len(body):,} | {gz(body):,} |")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--intakes", type=int, default=12, help="intakes filled in per way")
    args = parser.parse_args()
    people = Newcomers(build_app(os.environ.get("BENCH_DATABASE_URL")))
    load = os.getloadavg()[0]
    timings(people, args.intakes)
    print(f"\nLoad average {load:.1f} before the timings, {os.getloadavg()[0]:.1f} after (2 cores).")
    print()
    weight(people)


if __name__ == "__main__":
    main()
