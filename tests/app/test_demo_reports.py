"""The demo's report data: the region, the seed's partners, anonymous survey figures; once."""

from __future__ import annotations

from sqlalchemy import func, select

from app.extensions import db
from app.models import Municipality, Partner, Region, SurveyResponse


def test_seed_demo_loads_the_region_its_partners_and_survey_figures_once(app):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    with app.app_context():
        region = db.session.scalar(select(Region).where(Region.name == "Westfriesland"))
        assert region is not None
        demo = db.session.scalars(select(Municipality).where(Municipality.code.in_(["0405", "0420", "0388"]))).all()
        assert {m.region_id for m in demo} == {region.id}
        kinds = set(db.session.scalars(select(Partner.kind)))
        assert kinds == {"language_school", "social_guidance", "work_partner", "map_pvt_provider"}
        responses = db.session.scalar(select(func.count(SurveyResponse.id)))
        assert responses > 100
        marks = db.session.execute(select(func.min(SurveyResponse.mark), func.max(SurveyResponse.mark))).one()
        assert 1 <= marks[0] <= marks[1] <= 10
        assert (
            db.session.scalar(select(func.count(SurveyResponse.id)).where(SurveyResponse.invitation_id.is_not(None)))
            == 0
        )
        quarters = set(db.session.scalars(select(SurveyResponse.quarter)))
        assert len(quarters) == 4
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    with app.app_context():
        assert db.session.scalar(select(func.count(SurveyResponse.id))) == responses
        assert db.session.scalar(select(func.count(Region.id))) == 1
