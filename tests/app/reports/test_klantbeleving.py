"""The klantbeleving dashboard: figures cell by cell, small cells, the trend flag, comments, roles, hostile input."""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from decimal import Decimal
from html import unescape

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event, select

from app.extensions import db
from app.models import Municipality, Newcomer
from app.models.partner import Partner, Region
from app.models.survey import SKIPPED, SurveyInvitation, SurveyResponse
from app.reports.klantbeleving import queries
from app.reports.klantbeleving.dashboard import build
from app.reports.klantbeleving.queries import Selection, quarter_of
from tests.conftest import staff_sign_in

URL = "/reports/klantbeleving"
H1 = "from=2026-01-01&to=2026-06-30"
"""The first half of 2026: quarters 2026-Q1 and 2026-Q2."""


def municipality(app: Flask, code: str, name: str, region: Region | None = None) -> int:
    with app.app_context():
        found = db.session.scalar(select(Municipality).where(Municipality.code == code))
        if found is None:
            found = Municipality(code=code, name=name)
            db.session.add(found)
        if region is not None:
            db.session.add(region)
            db.session.flush()
            found.region_id = region.id
        db.session.commit()
        return found.id


def partner(app: Flask, name: str, kind: str = "language_school") -> int:
    with app.app_context():
        row = Partner(name=name, kind=kind)
        db.session.add(row)
        db.session.commit()
        return row.id


def respond(
    app: Flask,
    municipality_id: int,
    partner_id: int | None,
    marks: list[int],
    on: date = date(2026, 2, 10),
    *,
    comment: str | None = None,
    comment_language: str | None = None,
    language: str = "ar",
    doelgroep: str = "statushouder",
    leerroute: str | None = "B",
    kind: str = "language_school",
) -> None:
    with app.app_context():
        for mark in marks:
            db.session.add(
                SurveyResponse(
                    municipality_id=municipality_id,
                    survey_id=f"survey_{kind}",
                    partner_id=partner_id,
                    partner_kind=kind,
                    trigger="intake_approved",
                    mark=mark,
                    comment=comment,
                    comment_language=comment_language,
                    channel="web",
                    language=language,
                    doelgroep=doelgroep,
                    leerroute=leerroute,
                    answered_on=on,
                    quarter=quarter_of(on),
                )
            )
        db.session.commit()


_PHONES = itertools.count(1)


def invite(
    app: Flask,
    municipality_id: int,
    partner_id: int,
    sent: int,
    skipped: int = 0,
    *,
    answered: int = 0,
    created_at: datetime = datetime(2026, 2, 1, 9, tzinfo=UTC),
) -> None:
    """Invitations made on 1 February 2026 (or ``created_at``), each for its own person; the first
    ``answered`` of the sent ones are linked to the partner's latest unlinked responses."""
    with app.app_context():
        open_responses = list(
            db.session.scalars(
                select(SurveyResponse)
                .where(SurveyResponse.partner_id == partner_id, SurveyResponse.invitation_id.is_(None))
                .order_by(SurveyResponse.id.desc())
                .limit(answered)
            )
        )
        assert len(open_responses) >= answered, "not enough responses to link"
        for i in range(sent + skipped):
            person = Newcomer(name="x", phone=f"+3161{next(_PHONES):08d}", municipality_id=municipality_id)
            db.session.add(person)
            db.session.flush()
            invitation = SurveyInvitation(
                newcomer_id=person.id,
                municipality_id=municipality_id,
                trigger="intake_approved",
                occasion=f"intake_approved:{partner_id}:{i}",
                survey_id="survey_language_school",
                partner_id=partner_id,
                partner_kind="language_school",
                status=SKIPPED if i >= sent else ("responded" if i < answered else "invited"),
                expires_at=datetime(2026, 3, 1, tzinfo=UTC),
                created_at=created_at,
            )
            db.session.add(invitation)
            db.session.flush()
            if i < answered:
                open_responses[i].invitation_id = invitation.id
        db.session.commit()


def t_interval(marks: list[int], t: float) -> tuple[float, float]:
    n = len(marks)
    mean = sum(marks) / n
    s = math.sqrt(sum((m - mean) ** 2 for m in marks) / (n - 1))
    return mean - t * s / math.sqrt(n), mean + t * s / math.sqrt(n)


def one_decimal(value: float) -> str:
    return str(Decimal(repr(value)).quantize(Decimal("0.1"), rounding="ROUND_HALF_UP"))


@pytest.fixture
def hoorn(app: Flask, municipality_id: int) -> int:
    return municipality_id


@pytest.fixture
def policy(client: FlaskClient, make_staff: Callable, hoorn: int) -> FlaskClient:
    """A beleidsmedewerker of Hoorn, signed in."""
    staff_sign_in(client, make_staff(role="beleidsmedewerker"))
    return client


def table_row(html: str, label: str) -> list[str]:
    """The cells of the first row headed ``label`` of the page's report tables (text only), not the charts'."""
    tables = re.findall(r'<table class="report-table">.*?</table>', html, re.S)
    html = "".join(tables) if tables else html
    match = re.search(r"<tr><th scope=\"row\">" + re.escape(label) + r"</th>(.*?)</tr>", html, re.S)
    assert match, f"no row {label!r}"
    return [
        unescape(re.sub(r"<[^>]+>", "", c)).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", match.group(1), re.S)
    ]


# --- figures, cell by cell ---------------------------------------------------------------------


def test_no_responses_says_so(policy: FlaskClient) -> None:
    page = policy.get(URL)
    assert page.status_code == 200
    assert "No survey responses in this period yet." in page.text


def test_too_few_responses_hides_everything_and_says_why(app: Flask, policy: FlaskClient, hoorn: int) -> None:
    taalhuis = partner(app, "Taalhuis Hoorn")
    respond(app, hoorn, taalhuis, [4, 9, 9, 2, 8])
    page = policy.get(f"{URL}?{H1}")
    assert page.status_code == 200
    assert "fewer than 10 responses in this period, so no figure is shown" in page.text
    assert "Taalhuis Hoorn" not in page.text
    assert "chart-svg" not in page.text


def test_means_intervals_rate_and_small_cells_by_hand(app: Flask, policy: FlaskClient, hoorn: int) -> None:
    big = partner(app, "WerkSaam")
    middle = partner(app, "Taalhuis Hoorn")
    small = partner(app, "Vluchtelingenwerk")
    werksaam = [8, 9, 7, 8, 6, 9, 10, 8, 7, 8, 9, 7, 8, 6, 9]  # 15 marks
    taalhuis = [6, 7, 5, 8, 6, 7, 6, 5, 7, 6, 8, 7]  # 12 marks
    respond(app, hoorn, big, werksaam)
    respond(app, hoorn, middle, taalhuis)
    respond(app, hoorn, small, [2, 3, 1])
    invite(app, hoorn, big, sent=20, skipped=5, answered=15)
    page = policy.get(f"{URL}?{H1}")
    assert page.status_code == 200
    html = page.text

    # WerkSaam: mean 119/15 = 7.933 -> 7.9; t(0.975, 14) = 2.144787
    low, high = t_interval(werksaam, 2.144787)
    cells = table_row(html, "WerkSaam")
    assert cells[0] == "7.9"
    assert cells[1] == f"{one_decimal(low)}\u2013{one_decimal(high)}"
    assert cells[2] == "15"
    assert cells[3] == "75\u202f%"  # 15 of the 20 invitations sent answered (5 skipped do not count)
    # Vluchtelingenwerk has 3 (< 10): hidden; Taalhuis (12) is the next-smallest: hidden too, or 30 - 15 - 12 = 3
    assert table_row(html, "Vluchtelingenwerk")[:3] == ["not shown"] * 3
    assert table_row(html, "Taalhuis Hoorn")[:3] == ["not shown"] * 3
    # the total over everything: 30 responses, mean (119 + 78 + 6) / 30 = 6.77 -> 6.8, below the target 7
    total = re.search(r"<tfoot><tr><th scope=\"row\">All responses</th>(.*?)</tr>", html, re.S).group(1)
    total_cells = [unescape(re.sub(r"<[^>]+>", "", c)).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", total, re.S)]
    assert total_cells[0] == "6.8 (below target)"
    assert total_cells[2] == "30"
    # the distribution of the hidden rows is not shown; WerkSaam's is: marks 6..10 = 2, 3, 5, 4, 1
    marks_table = html.split("Marks given by partner")[1].split("</table>")[0]
    assert "Vluchtelingenwerk" not in marks_table
    assert "Taalhuis Hoorn" not in marks_table
    assert table_row(marks_table, "WerkSaam") == ["0", "0", "0", "0", "0", "2", "3", "5", "4", "1"]
    # the chart says the same in words, hidden rows included as not shown
    assert "WerkSaam: 7.9" in html
    assert "Vluchtelingenwerk: not shown" in html


def test_dashboard_figures_directly(app: Flask, hoorn: int) -> None:
    a, b = partner(app, "A"), partner(app, "B")
    respond(app, hoorn, a, [7] * 10 + [9] * 10)
    respond(app, hoorn, b, [5, 6] * 6)
    with app.app_context():
        settings = queries.settings((hoorn,))
        board = build(
            Selection((hoorn,), date(2026, 1, 1), date(2026, 6, 30)),
            settings,
            lambda by, keys: {k: str(k) for k in keys},
        )
    assert settings.target == Decimal("7.0")
    assert settings.min_cell == 10
    seg = {s.key: s for s in board.segments}
    assert seg[a].figure.mean == Decimal("8.0")
    assert seg[a].figure.n == 20
    assert seg[b].figure.mean == Decimal("5.5")
    assert seg[b].figure.below_target
    assert board.total.n == 32
    assert board.total.mean == Decimal("7.1")  # (160 + 66) / 32 = 7.0625
    assert board.total_distribution == [0, 0, 0, 0, 6, 6, 10, 0, 10, 0]
    assert board.quarters == ["2026-Q1", "2026-Q2"]
    # all in Q1: Q2 has no responses (shown as none, not hidden)
    assert [f.n for f in board.total_quarters] == [32, 0]


def _board(app: Flask, hoorn: int, by: str = "partner"):  # noqa: ANN202 - a Dashboard
    """The dashboard of the first half of 2026 for Hoorn, segments named by their keys."""
    with app.app_context():
        selection = Selection((hoorn,), date(2026, 1, 1), date(2026, 6, 30), by=by)
        return build(selection, queries.settings((hoorn,)), lambda by, keys: {k: str(k) for k in keys})


def test_the_response_rate_counts_only_the_invitations_of_the_period_and_their_answers(app: Flask, hoorn: int) -> None:
    p = partner(app, "Taalhuis Hoorn")
    respond(app, hoorn, p, [8] * 11)  # answered on 10 February 2026; their files erased since (no invitation)
    respond(app, hoorn, p, [6] * 3)  # answered in the period, invited in December 2025
    invite(app, hoorn, p, sent=3, answered=3, created_at=datetime(2025, 12, 15, 9, tzinfo=UTC))
    respond(app, hoorn, p, [9] * 2, on=date(2026, 7, 2))  # invited in the period, answered after it
    invite(app, hoorn, p, sent=4, answered=2)  # 1 February 2026: two answered (in July), two open
    board = _board(app, hoorn)
    [segment] = board.segments
    # The means take every response of the period: 11 x 8 + 3 x 6 = 106 over 14.
    assert board.total.n == 14
    assert board.total.mean == Decimal("7.6")
    # The rate: of the 4 invitations made in the period, 2 have a response.
    assert segment.rate == pytest.approx(0.5)
    assert board.total_rate == pytest.approx(0.5)


def test_the_response_rate_is_empty_without_invitations_and_never_above_one(app: Flask, hoorn: int) -> None:
    p = partner(app, "Taalhuis Hoorn")
    respond(app, hoorn, p, [7] * 12)  # all erased files: no invitation left
    assert _board(app, hoorn).total_rate is None
    invite(app, hoorn, p, sent=1)  # one open invitation
    board = _board(app, hoorn)
    assert board.total_rate == 0
    assert board.segments[0].rate == 0


def test_the_response_rate_by_quarter_is_of_the_invitations_made_in_it(app: Flask, hoorn: int) -> None:
    p = partner(app, "Taalhuis Hoorn")
    respond(app, hoorn, p, [7] * 10)  # Q1
    respond(app, hoorn, p, [8] * 10, on=date(2026, 5, 1))  # Q2
    invite(app, hoorn, p, sent=10, answered=10)  # made in Q1, linked to the Q1 responses
    invite(app, hoorn, p, sent=20, answered=5, created_at=datetime(2026, 4, 10, 9, tzinfo=UTC))
    with app.app_context():
        sent = queries.invitations(Selection((hoorn,), date(2026, 1, 1), date(2026, 6, 30), by="quarter"))
    assert sent == {"2026-Q1": queries.Invited(10, 10), "2026-Q2": queries.Invited(20, 5)}
    board = _board(app, hoorn, by="quarter")
    assert {s.key: s.rate for s in board.segments} == {"2026-Q1": 1.0, "2026-Q2": 0.25}
    assert board.total_rate == pytest.approx(15 / 30)


def test_two_quarters_below_target_are_flagged_in_words(app: Flask, policy: FlaskClient, hoorn: int) -> None:
    low, fine = partner(app, "Taalhuis Hoorn"), partner(app, "WerkSaam")
    respond(app, hoorn, low, [6] * 10, on=date(2026, 2, 1))
    respond(app, hoorn, low, [7, 6] * 5, on=date(2026, 5, 1))  # 6.5
    respond(app, hoorn, fine, [8] * 12, on=date(2026, 2, 1))
    respond(app, hoorn, fine, [6] * 12, on=date(2026, 5, 1))  # below once only
    html = policy.get(f"{URL}?{H1}").text
    assert "Below target two quarters in a row" in html
    assert re.search(r"Below target two quarters in a row:</span> Taalhuis Hoorn \(2026-Q1 and 2026-Q2\)", html)
    assert not re.search(r"Below target two quarters in a row:</span> WerkSaam", html)
    trend = html.split("Mean mark by partner and quarter")[1].split("</table>")[0]
    assert table_row(trend, "Taalhuis Hoorn") == ["6.0 (below target)", "6.5 (below target)"]
    assert table_row(trend, "WerkSaam") == ["8.0", "6.0 (below target)"]
    assert "<polyline" in html  # the line chart


def test_region_settings_apply(app: Flask, client: FlaskClient, make_staff: Callable) -> None:
    region = Region(name="Westfriesland", klantbeleving_target=Decimal("8.0"), min_cell=5)
    enkhuizen = municipality(app, "0388", "Enkhuizen", region)
    staff_sign_in(client, make_staff(role="beleidsmedewerker", codes=("0388",)))
    a, b = partner(app, "A school"), partner(app, "B school")
    respond(app, enkhuizen, a, [7, 8, 7, 8, 7, 8])  # 6 >= 5: shown, 7.5 < 8
    respond(app, enkhuizen, b, [9, 9, 9, 9, 9])
    html = client.get(f"{URL}?{H1}").text
    assert table_row(html, "A school")[:3][0] == "7.5 (below target)"
    assert table_row(html, "B school")[0] == "9.0"
    assert "Target: a mean mark of 8.0." in html


@pytest.mark.parametrize("by", ["partner", "municipality", "leerroute", "language", "doelgroep", "quarter"])
def test_every_breakdown(app: Flask, policy: FlaskClient, hoorn: int, by: str) -> None:
    p = partner(app, "Taalhuis Hoorn")
    respond(app, hoorn, p, [8] * 12, language="ti", leerroute="Z", doelgroep="gezinsmigrant_overig")
    respond(app, hoorn, p, [6] * 12, on=date(2026, 5, 5), language="fa", leerroute=None)
    invite(app, hoorn, p, sent=30, answered=24)
    page = policy.get(f"{URL}?{H1}&by={by}")
    assert page.status_code == 200
    assert "7.0" in page.text  # the total mean: (96 + 72) / 24
    expected = {
        "partner": "Taalhuis Hoorn",
        "municipality": "Hoorn",
        "leerroute": "Z route",
        "language": "Tigrinya",
        "doelgroep": "Family migrant or other",
        "quarter": "2026-Q2",
    }[by]
    assert expected in page.text
    if by in ("partner", "municipality"):
        assert table_row(page.text, expected)[3] == "80\u202f%"  # 24 of 30 answered


# --- who sees what ---------------------------------------------------------------------------


def test_klantmanager_sees_only_aggregates_of_their_municipalities(
    app: Flask, klantmanager: FlaskClient, hoorn: int
) -> None:
    alkmaar = municipality(app, "0361", "Alkmaar")
    ours, theirs = partner(app, "Taalhuis Hoorn"), partner(app, "Secret School Alkmaar")
    respond(app, hoorn, ours, [8] * 12, comment="Goede lessen", comment_language="nl")
    respond(app, alkmaar, theirs, [3] * 40, comment="Alkmaar only remark", comment_language="en")
    page = klantmanager.get(f"{URL}?{H1}")
    assert page.status_code == 200
    assert "Secret School Alkmaar" not in page.text
    assert "Alkmaar only remark" not in page.text
    assert table_row(page.text, "Taalhuis Hoorn")[:3] == ["8.0", "8.0\u20138.0", "12"]
    # naming Alkmaar's id reads exactly like a made-up one
    other = klantmanager.get(f"{URL}?{H1}&municipality={alkmaar}")
    made_up = klantmanager.get(f"{URL}?{H1}&municipality=999999")
    assert other.status_code == made_up.status_code == 422
    assert "Choose one of the listed municipalities." in other.text
    assert "Secret School Alkmaar" not in other.text
    assert "Alkmaar" not in other.text.replace(f'value="{alkmaar}"', "")
    assert "Newcomer" not in page.text
    assert not re.search(r"/backoffice/newcomers/\d", page.text)  # no file behind any figure
    assert "/backoffice/" not in page.text.split('id="main"')[1]


def test_newcomer_and_beheerder_get_404(
    app: Flask, client: FlaskClient, signed_in: FlaskClient, make_staff: Callable, audit_log: Callable
) -> None:
    assert signed_in.get(URL).status_code == 404
    signed_in.post("/logout")
    other = app.test_client()
    staff_sign_in(other, make_staff(role="beheerder"))
    assert other.get(URL).status_code == 404
    assert audit_log(action="access.refused")


def test_signed_out_is_sent_to_sign_in(client: FlaskClient) -> None:
    assert client.get(URL).status_code in (302, 404)


# --- comments --------------------------------------------------------------------------------


def test_comments_original_language_month_only_visible_rows_audited(
    app: Flask, policy: FlaskClient, hoorn: int, audit_log: Callable
) -> None:
    big, small, other = partner(app, "WerkSaam"), partner(app, "Tiny partner"), partner(app, "Other partner")
    respond(app, hoorn, other, [7] * 12)  # the next-smallest: hidden with the tiny one, so WerkSaam stays shown
    respond(app, hoorn, big, [8] * 11, on=date(2026, 5, 17))
    respond(app, hoorn, big, [9], on=date(2026, 5, 17), comment="المعلم كان صبورا", comment_language="ar")
    respond(app, hoorn, big, [9] * 12, on=date(2026, 2, 3), comment="<script>alert(1)</script>", comment_language="x<")
    respond(app, hoorn, small, [2], comment="Tiny partner comment", comment_language="en")
    html = policy.get(f"{URL}?{H1}").text
    assert '<p dir="auto" lang="ar">المعلم كان صبورا</p>' in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert 'lang="x&lt;"' not in html
    assert "May 2026" in html
    assert "17" not in re.sub(r"<svg.*?</svg>|<table.*?</table>", "", html.split('id="h-comments"')[1], flags=re.S)
    assert "Tiny partner comment" not in html  # its row is hidden
    # the newest first
    assert html.index("المعلم") < html.index("&lt;script&gt;alert(1)")
    assert audit_log(action="survey.comments_viewed")
    assert audit_log(action="report.viewed")


def test_comments_are_paged(app: Flask, policy: FlaskClient, hoorn: int) -> None:
    p = partner(app, "WerkSaam")
    for day in range(1, 26):
        respond(app, hoorn, p, [8], on=date(2026, 1, day), comment=f"comment number {day:02d}", comment_language="en")
    first = policy.get(f"{URL}?{H1}").text
    assert "comment number 25" in first
    assert "comment number 05" not in first
    assert "Next page" in first
    second = policy.get(f"{URL}?{H1}&page=2").text
    assert "comment number 05" in second
    assert "comment number 25" not in second
    far = policy.get(f"{URL}?{H1}&page=9999")
    assert far.status_code == 200
    assert "No comments for the rows shown." in far.text or "comment number" not in far.text


# --- hostile input ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ("from=9999-12-31", "from", "Enter a date between 2000 and 2100"),
        ("to=1900-01-01", "to", "Enter a date between 2000 and 2100"),
        ("from=2026-13-45", "from", "Enter a date"),
        ("from=2026-02-30", "from", "Enter a date"),
        ("from=%00%01", "from", None),
        ("from=2026-06-01&to=2026-01-01", "to", "cannot be before its start"),
        ("from=2001-01-01&to=2099-12-31", "to", "at most five years"),
        ("by=%3Cscript%3Ealert(1)%3C/script%3E", "by", "Choose one of the listed breakdowns."),
        ("kind=xyz", "kind", "Choose one of the listed kinds of partner."),
        (f"municipality={2**31}", "municipality", "Choose one of the listed municipalities."),
        ("municipality=-1", "municipality", "Choose one of the listed municipalities."),
        ("municipality=%D9%A1", "municipality", "Choose one of the listed municipalities."),
    ],
)
def test_bad_filters_get_a_message_next_to_the_field(
    policy: FlaskClient, query: str, field: str, message: str | None
) -> None:
    page = policy.get(f"{URL}?{query}")
    if message is None:  # control characters alone are cleaned to nothing: the default period
        assert page.status_code == 200
        return
    assert page.status_code == 422
    assert f'id="f-{field}-error">' in page.text
    assert message in page.text
    assert f'aria-describedby="f-{field}-error"' in page.text
    assert "<script>alert" not in page.text


def test_typed_dates_are_kept_and_escaped(policy: FlaskClient) -> None:
    page = policy.get(f'{URL}?from="><script>x</script>&to=2026-06-30&by=language')
    assert page.status_code == 422
    assert "<script>x</script>" not in page.text
    assert 'value="&#34;&gt;&lt;script&gt;x&lt;/script&gt;"' in page.text or "&lt;script&gt;x" in page.text
    assert 'value="2026-06-30"' in page.text
    assert '<option value="language" selected>' in page.text


def test_dutch_day_month_year_is_accepted(policy: FlaskClient) -> None:
    assert policy.get(f"{URL}?from=1-1-2026&to=30-6-2026").status_code == 200


def test_periods_are_whole_quarters(app: Flask, policy: FlaskClient, hoorn: int) -> None:
    p = partner(app, "WerkSaam")
    respond(app, hoorn, p, [8] * 12, on=date(2026, 1, 5))
    respond(app, hoorn, p, [1], on=date(2026, 3, 20))  # one person's answer on one day
    before = policy.get(f"{URL}?from=2026-01-01&to=2026-03-19").text
    after = policy.get(f"{URL}?from=2026-01-01&to=2026-03-20").text
    assert table_row(before, "WerkSaam")[2] == table_row(after, "WerkSaam")[2] == "13"
    assert "(whole quarters)" in before


def test_partner_names_are_escaped(app: Flask, policy: FlaskClient, hoorn: int) -> None:
    p = partner(app, '<script>alert("x")</script>')
    respond(app, hoorn, p, [7] * 12)
    html = policy.get(f"{URL}?{H1}").text
    assert '<script>alert("x")' not in html
    assert "&lt;script&gt;alert" in html


# --- a constant number of queries ------------------------------------------------------------


@contextmanager
def counting(app: Flask) -> Iterator[list[str]]:
    statements: list[str] = []
    with app.app_context():
        engine = db.engine

    def remember(_conn, _cursor, statement, *_args) -> None:  # noqa: ANN001
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", remember)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", remember)


def _fill(app: Flask, hoorn: int, partners: int) -> None:
    for i in range(partners):
        p = partner(app, f"Partner {i:02d}")
        respond(
            app, hoorn, p, [7, 8] * (6 + i % 3), on=date(2026, 1 + (i % 6), 10), comment=f"c{i}", comment_language="nl"
        )
        invite(app, hoorn, p, sent=1)


@pytest.mark.parametrize("by", ["partner", "language", "quarter"])
def test_queries_do_not_grow_with_the_partners(app: Flask, policy: FlaskClient, hoorn: int, by: str) -> None:
    _fill(app, hoorn, 1)
    with counting(app) as few:
        assert policy.get(f"{URL}?{H1}&by={by}").status_code == 200
    _fill(app, hoorn, 49)
    with counting(app) as many:
        assert policy.get(f"{URL}?{H1}&by={by}").status_code == 200
    assert len(many) == len(few), (len(few), len(many))
    assert len(many) <= 20


def test_page_is_printable(app: Flask, policy: FlaskClient, hoorn: int) -> None:
    respond(app, hoorn, partner(app, "WerkSaam"), [8] * 12)
    html = policy.get(f"{URL}?{H1}").text
    assert "reports.css" in html
    response = policy.get(re.search(r'href="([^"]*reports\.css[^"]*)"', html).group(1))
    css = response.get_data(as_text=True)
    response.close()
    assert "@page { size: A4" in css
    assert "forced-colors" in css
    assert 'role="img"' in html
    assert html.count("<figure") == html.count('<table class="chart-data"')
