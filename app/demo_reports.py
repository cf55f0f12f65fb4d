"""Demo data for the reports: the Westfriesland region, its partners, and survey figures without persons.

``flask seed-demo`` calls :func:`seed`. The survey figures are anonymous rows (no invitation, as the
figures of an erased file are), spread over the last four quarters so that the klantbeleving
dashboard shows marks, a trend and a hidden small cell on a fresh machine. Idempotent: a second run
adds nothing.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

from sqlalchemy import func, select

from .extensions import db
from .models import Municipality, Partner, Region, SurveyResponse
from .models.partner import LANGUAGE_SCHOOL, MAP_PVT_PROVIDER, SOCIAL_GUIDANCE, WORK_PARTNER
from .models.types import local_today

REGION = "Westfriesland"
# The seed's partners (seed 003, 1.4): who serves which municipality.
PARTNERS = [
    ("Fiolet Taaltrainingen", LANGUAGE_SCHOOL, ["0405", "0432", "1598"]),
    ("NLtraining", LANGUAGE_SCHOOL, ["0420", "0532", "0388", "0498"]),
    ("Vonk (onderwijsroute)", LANGUAGE_SCHOOL, ["0405", "0420", "0388", "0498", "0532", "1598", "0432"]),
    ("Inova", SOCIAL_GUIDANCE, ["0420", "0388", "0498", "0532", "1598", "0432"]),
    ("WerkSaam Westfriesland", WORK_PARTNER, ["0405", "0420", "0388", "0498", "0532", "1598", "0432"]),
    ("WerkSaam MAP en PVT", MAP_PVT_PROVIDER, ["0405", "0420", "0388", "0498", "0532", "1598", "0432"]),
]
# Responses per partner and municipality per quarter, and the partner's usual mark: enough for the
# dashboard to show most cells, and one partner with too few (hidden).
VOLUME = {"Fiolet Taaltrainingen": (9, 7.6), "NLtraining": (8, 7.1), "Vonk (onderwijsroute)": (1, 6.8),
          "Inova": (5, 6.6), "WerkSaam Westfriesland": (6, 7.8), "WerkSaam MAP en PVT": (4, 7.3)}  # fmt: skip
LANGUAGES = ("ar", "ti", "fa", "tr", "so", "nl")


def seed() -> str:
    """Create the region, the partners and the anonymous survey figures; a line for the CLI."""
    municipalities = {m.code: m for m in db.session.scalars(select(Municipality))}
    region = db.session.scalar(select(Region).where(Region.name == REGION))
    if region is None:
        region = Region(name=REGION, targets={})
        db.session.add(region)
        db.session.flush()
    for municipality in municipalities.values():
        municipality.region_id = municipality.region_id or region.id
    partners = {}
    for name, kind, codes in PARTNERS:
        partner = db.session.scalar(select(Partner).where(Partner.name == name))
        if partner is None:
            partner = Partner(
                name=name, kind=kind, municipalities=[municipalities[c] for c in codes if c in municipalities]
            )
            db.session.add(partner)
        partners[name] = partner
    db.session.flush()
    if db.session.scalar(select(func.count(SurveyResponse.id))) == 0:
        rows = list(_responses(partners, municipalities))
        db.session.add_all(rows)
        line = f"{len(rows)} anonymous survey figures over the last four quarters, {len(partners)} partners"
    else:
        line = "survey figures loaded before"
    db.session.commit()
    return line


def _responses(partners: dict[str, Partner], municipalities: dict[str, Municipality]):  # noqa: ANN202
    rng = random.Random(2026)  # noqa: S311 - demo figures, not a secret
    today = local_today()
    first = date(today.year, ((today.month - 1) // 3) * 3 + 1, 1)
    quarters = []
    for _ in range(4):
        first = (first - timedelta(days=1)).replace(day=1)
        first = date(first.year, ((first.month - 1) // 3) * 3 + 1, 1)
        quarters.append(first)
    for start in quarters:
        for name, partner in partners.items():
            per_quarter, mean = VOLUME[name]
            for municipality in partner.municipalities:
                for _ in range(rng.randint(max(0, per_quarter - 3), per_quarter + 3)):
                    day = start + timedelta(days=rng.randint(0, 89))
                    mark = max(1, min(10, round(rng.gauss(mean, 1.4))))
                    yield SurveyResponse(
                        municipality_id=municipality.id,
                        survey_id=f"survey_{partner.kind}",
                        partner_id=partner.id,
                        partner_kind=partner.kind,
                        trigger="six_monthly",
                        mark=mark,
                        heard=rng.choice((1, 2, 3, 3, 3)),
                        clear=rng.choice((1, 2, 2, 3, 3)),
                        own_language=rng.choice((1, 2, 3)),
                        channel=rng.choice(("sms", "sms", "web")),
                        language=rng.choice(LANGUAGES),
                        doelgroep=rng.choice(("statushouder", "statushouder", "gezinsmigrant_overig")),
                        leerroute=rng.choice(("B", "Z", "Z", "O")),
                        answered_on=day,
                        quarter=f"{day.year}-Q{(day.month - 1) // 3 + 1}",
                    )
