"""Nobody moves another person's deal or activity onto someone else unless they may act for
both, and a KPI decision names only people and challenges of the decider's own teams."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from gameplay.scoring.engine import record_sales_events
from kpi_engine.errors import Invalid
from kpi_engine.kpis.decisions import DecisionInput, record_decision
from kpi_engine.org.models import User
from kpi_engine.org.reach import EVERYONE, reach
from kpi_engine.sales.ingest import ingest_events
from kpi_engine.sales.models import Activity, Deal, RawEvent
from tests.factories import event, make_team, make_user

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _org(session: Session) -> dict[str, User]:
    """Two teams, each with a manager and a rep; ann and bob share a team, cat is on the other."""
    boss = make_user(session, app_role="manager")
    other_boss = make_user(session, app_role="manager")
    team, other = make_team(session, manager=boss), make_team(session, manager=other_boss)
    ann = make_user(session, team=team, name="Ann Able")
    bob = make_user(session, team=team, name="Bob Baker")
    cat = make_user(session, team=other, name="Cat Cole")
    return {"boss": boss, "other_boss": other_boss, "ann": ann, "bob": bob, "cat": cat}


def _owner(session: Session, crm_id: str) -> int:
    session.expire_all()
    owner = session.scalar(select(Deal.owner_id).where(Deal.crm_id == crm_id))
    assert owner is not None
    return owner


def test_a_rep_cannot_win_another_teams_deal_for_themself(session: Session) -> None:
    people = _org(session)
    cat, ann = people["cat"], people["ann"]
    ingest_events(session, [event("deal.created", cat, T0, deal_id="D1", amount="900")])
    taken = event("deal.won", ann, T0 + timedelta(days=1), deal_id="D1", amount="900")
    raws_before = session.scalar(select(RawEvent.id).order_by(RawEvent.id.desc()).limit(1))
    result, changes = record_sales_events(
        session, [taken], source="api", now=T0 + timedelta(days=1), reach=reach(session, ann)
    )
    assert not result.accepted and not result.deal_transitions
    reason = result.rejected[0].errors["data.deal_id"][0]
    assert "D1" in reason and "Cat Cole" in reason
    assert _owner(session, "D1") == cat.id
    assert session.scalar(select(RawEvent.id).order_by(RawEvent.id.desc()).limit(1)) == raws_before
    assert not changes.standings and not changes.notifications


def test_a_manager_cannot_hand_another_teams_deal_to_their_rep(session: Session) -> None:
    people = _org(session)
    ingest_events(session, [event("deal.created", people["cat"], T0, deal_id="D1")])
    moved = event("deal.updated", people["ann"], T0 + timedelta(hours=1), deal_id="D1")
    result = ingest_events(session, [moved], reach=reach(session, people["boss"]))
    assert "Cat Cole" in result.rejected[0].errors["data.deal_id"][0]
    assert _owner(session, "D1") == people["cat"].id


def test_a_manager_moves_a_deal_between_reps_of_their_own_team(session: Session) -> None:
    people = _org(session)
    ingest_events(session, [event("deal.created", people["bob"], T0, deal_id="D1")])
    moved = event("deal.updated", people["ann"], T0 + timedelta(hours=1), deal_id="D1")
    result = ingest_events(session, [moved], reach=reach(session, people["boss"]))
    assert len(result.accepted) == 1 and not result.rejected
    assert _owner(session, "D1") == people["ann"].id


def test_a_rep_cannot_take_a_teammates_deal_either(session: Session) -> None:
    people = _org(session)
    ingest_events(session, [event("deal.created", people["bob"], T0, deal_id="D1")])
    moved = event("deal.stage_changed", people["ann"], T0 + timedelta(hours=1), deal_id="D1",
                  stage="Proposal")  # fmt: skip
    result = ingest_events(session, [moved], reach=reach(session, people["ann"]))
    assert "Bob Baker" in result.rejected[0].errors["data.deal_id"][0]
    assert _owner(session, "D1") == people["bob"].id


def test_a_rep_updates_their_own_deal(session: Session) -> None:
    people = _org(session)
    ann = people["ann"]
    ingest_events(session, [event("deal.created", ann, T0, deal_id="D1")])
    won = event("deal.won", ann, T0 + timedelta(days=2), deal_id="D1", amount="10")
    assert len(ingest_events(session, [won], reach=reach(session, ann)).accepted) == 1


def test_a_rep_cannot_take_another_reps_activity(session: Session) -> None:
    people = _org(session)
    cat, ann = people["cat"], people["ann"]
    ingest_events(session, [event("activity.logged", cat, T0, activity_id="A1", kind="call")])
    taken = event("activity.logged", ann, T0 + timedelta(hours=1), activity_id="A1", kind="demo")
    result = ingest_events(session, [taken], reach=reach(session, ann))
    reason = result.rejected[0].errors["data.activity_id"][0]
    assert "A1" in reason and "Cat Cole" in reason
    session.expire_all()
    activity = session.scalar(select(Activity).where(Activity.crm_id == "A1"))
    assert activity is not None and activity.rep_id == cat.id and activity.kind == "call"


def test_a_move_inside_one_batch_is_checked_too(session: Session) -> None:
    people = _org(session)
    batch = [
        event("deal.created", people["ann"], T0, deal_id="D1"),
        event("deal.updated", people["cat"], T0 + timedelta(hours=1), deal_id="D1"),
    ]
    result = ingest_events(session, batch, reach=reach(session, people["other_boss"]))
    # the other team's manager may not record for ann at all, nor so move the deal to cat
    assert [r.index for r in result.rejected] == [0]
    assert _owner(session, "D1") == people["cat"].id
    batch = [
        event("deal.created", people["bob"], T0, deal_id="D2"),
        event("deal.updated", people["ann"], T0 + timedelta(hours=1), deal_id="D2"),
    ]
    result = ingest_events(session, batch, reach=reach(session, people["bob"]))
    assert [r.index for r in result.rejected] == [1]
    assert _owner(session, "D2") == people["bob"].id


def test_the_crm_and_an_admin_still_move_deals_between_teams(session: Session) -> None:
    people = _org(session)
    ingest_events(session, [event("deal.created", people["cat"], T0, deal_id="D1")])
    moved = event("deal.updated", people["ann"], T0 + timedelta(hours=1), deal_id="D1")
    assert len(ingest_events(session, [moved], reach=EVERYONE).accepted) == 1
    assert _owner(session, "D1") == people["ann"].id
    admin = make_user(session, app_role="admin")
    back = event("deal.updated", people["cat"], T0 + timedelta(hours=2), deal_id="D1")
    assert len(ingest_events(session, [back], reach=reach(session, admin)).accepted) == 1
    assert _owner(session, "D1") == people["cat"].id


def test_a_decision_names_only_owners_and_challenges_of_the_managers_teams(
    session: Session,
) -> None:
    people = _org(session)
    boss, team_id = people["boss"], people["ann"].team_id
    scope = f"team:{team_id}"
    foreign_owner = DecisionInput("win_rate", scope, "2026-11", "Coach", people["cat"].id,
                                  date(2026, 11, 30), "win rate above 50 %")  # fmt: skip
    with pytest.raises(Invalid) as refused:
        record_decision(session, boss, foreign_owner, now=T0, challenge_ids=[3])
    assert refused.value.fields == {
        "owner_id": [f"user {people['cat'].id} is not you or a member of a team you manage"]
    }
    foreign_challenge = DecisionInput("win_rate", scope, "2026-11", "Sprint", challenge_id=9)
    with pytest.raises(Invalid) as refused:
        record_decision(session, boss, foreign_challenge, now=T0, challenge_ids=[3])
    assert refused.value.fields == {"challenge_id": ["challenge 9 is not one you manage"]}
    mine = DecisionInput("win_rate", scope, "2026-11", "Coach", people["ann"].id,
                         date(2026, 11, 30), "win rate above 50 %", challenge_id=3)  # fmt: skip
    decided = record_decision(session, boss, mine, now=T0, challenge_ids=[3])
    assert decided.owner_id == people["ann"].id
