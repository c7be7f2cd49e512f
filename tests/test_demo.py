"""The demo org is the real CRM sample, whole, and each role's first page shows their data."""

from __future__ import annotations

from datetime import timedelta

from flask import Flask
from sqlalchemy import func, select

from kpi_engine.demo_org import load_demo
from kpi_engine.models import Activity, Deal, RawEvent, Team, User
from tests.conftest import DEMO_TODAY, log_in
from web.extensions import db


def test_demo_holds_every_deal_rep_and_manager_of_the_sample(demo_app: Flask) -> None:
    with demo_app.app_context():
        s = db.session
        assert s.scalar(select(func.count(Deal.id))) == 8800
        assert s.scalar(select(func.count(User.id)).where(User.app_role == "rep")) == 35
        assert s.scalar(select(func.count(User.id)).where(User.app_role == "manager")) == 6
        assert s.scalar(select(func.count(func.distinct(Team.region)))) == 3
        won = s.scalar(select(func.sum(Deal.amount)).where(Deal.status == "won"))
        assert won == 10_005_534
        statuses = dict(s.execute(select(Deal.status, func.count()).group_by(Deal.status)).all())
        assert statuses == {"won": 4238, "lost": 2473, "open": 2089}


def test_demo_dates_end_yesterday_and_new_hires_have_no_deals(demo_app: Flask) -> None:
    with demo_app.app_context():
        s = db.session
        latest = s.scalar(select(func.max(Deal.closed_at)))
        assert latest.date() == DEMO_TODAY - timedelta(days=1)
        new_hires = s.scalars(
            select(User).where(User.app_role == "rep", ~User.id.in_(select(Deal.owner_id)))
        ).all()
        assert len(new_hires) == 5
        assert all(u.hire_date >= DEMO_TODAY - timedelta(days=30) for u in new_hires)
        assert s.scalar(select(func.count(Activity.id))) > 5000
        assert s.scalar(select(func.count(Deal.id)).where(Deal.product == "GTXPro")) == 0


def test_loading_the_demo_again_duplicates_nothing(demo_app: Flask) -> None:
    with demo_app.app_context():
        s = db.session
        before = [s.scalar(select(func.count(m.id))) for m in (User, Deal, Activity, RawEvent)]
        load_demo(s, password_hash="x", today=DEMO_TODAY)
        s.commit()
        after = [s.scalar(select(func.count(m.id))) for m in (User, Deal, Activity, RawEvent)]
        assert after == before


def test_demo_manager_sees_their_team_and_rep_sees_their_deals(demo_app: Flask) -> None:
    client = demo_app.test_client()
    log_in(client, "melvin.marxen@example.com")
    page = client.get("/").get_data(as_text=True)
    assert "Team Marxen" in page and "Darcel Schlecht" in page and "Win rate" in page
    client.post("/logout", data={"csrf_token": log_in(demo_app.test_client(), "admin@example.com")})
    rep = demo_app.test_client()
    log_in(rep, "darcel.schlecht@example.com")
    page = rep.get("/").get_data(as_text=True)
    assert "My recent deals" in page and "USD" in page
