"""gameplay.core.access: who sees, manages, reviews, adjusts for and acts for whom, without a
server.

The org: an admin; manager Mia runs Alpha (Ann, an AE, and Amy, an SDR); manager Ben runs
Beta (Bob, an AE); manager Cy runs Gamma (Cid, an SDR). The admin's challenge runs on Alpha
and Beta and has a manual mission.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlalchemy.orm import Session

from gameplay.core.access import (
    audience_team_ids,
    may_act_for_users,
    may_adjust,
    may_change_challenge,
    may_manage_challenge,
    may_manage_user,
    may_review_proof,
    may_view_challenge,
)
from gameplay.core.enrollment import participant_for
from gameplay.core.models import Challenge
from gameplay.manage.challenges import (
    cancel_challenge,
    create_challenge,
    get_challenge,
    list_challenges,
    managed_challenges,
)
from gameplay.scoring.ledger import adjust_points
from gameplay.scoring.missions import pending_proofs, review_proof, submit_proof
from kpi_engine.errors import Forbidden, NotFound
from kpi_engine.org.models import Team, User
from tests.domain.game_setup import BEFORE, END, START, launched, spec
from tests.factories import make_team, make_user

LIVE = START + timedelta(days=1)


@dataclass
class Org:
    admin: User
    mia: User
    ben: User
    cy: User
    ann: User
    amy: User
    bob: User
    cid: User
    alpha: Team
    beta: Team
    gamma: Team
    both: Challenge  # the admin's, on Alpha and Beta


@pytest.fixture
def org(session: Session) -> Org:
    admin = make_user(session, name="Admin", app_role="admin")
    mia, ben, cy = (make_user(session, name=n, app_role="manager") for n in ("Mia", "Ben", "Cy"))
    alpha, beta = make_team(session, manager=mia), make_team(session, manager=ben)
    gamma = make_team(session, manager=cy)
    ann = make_user(session, name="Ann", team=alpha, sales_role="AE")
    amy = make_user(session, name="Amy", team=alpha, sales_role="SDR")
    bob = make_user(session, name="Bob", team=beta, sales_role="AE")
    cid = make_user(session, name="Cid", team=gamma, sales_role="SDR")
    mission = {"name": "Record a demo", "manual": True, "points": 10}
    both = launched(session, admin, team_ids=[alpha.id, beta.id], missions=[mission])
    return Org(admin, mia, ben, cy, ann, amy, bob, cid, alpha, beta, gamma, both)


def test_a_manager_manages_an_admins_challenge_that_reaches_their_team(
    session: Session, org: Org
) -> None:
    assert may_manage_challenge(session, org.mia, org.both)
    assert may_manage_challenge(session, org.ben, org.both)
    assert may_manage_challenge(session, org.admin, org.both)
    assert not may_manage_challenge(session, org.cy, org.both)
    assert not may_manage_challenge(session, org.ann, org.both)
    assert [c.id for c in managed_challenges(session, org.mia, now=LIVE)] == [org.both.id]
    assert managed_challenges(session, org.cy, now=LIVE) == []


def test_changing_a_challenge_needs_every_team_it_reaches(session: Session, org: Org) -> None:
    assert not may_change_challenge(session, org.mia, org.both)
    assert may_change_challenge(session, org.admin, org.both)
    own = create_challenge(session, spec([org.alpha.id]), org.mia, now=BEFORE)
    assert may_change_challenge(session, org.mia, own)
    with pytest.raises(Forbidden, match="teams you do not manage"):
        cancel_challenge(session, org.both.id, org.mia, now=LIVE)


def test_named_people_and_sales_roles_bring_their_teams_into_the_audience(
    session: Session, org: Org
) -> None:
    sdrs = launched(session, org.admin, audience={"sales_roles": ["SDR"]})
    named = launched(session, org.admin, audience={"user_ids": [org.bob.id]})
    assert audience_team_ids(session, sdrs) == {org.alpha.id, org.gamma.id}
    assert audience_team_ids(session, named) == {org.beta.id}
    assert may_manage_challenge(session, org.cy, sdrs) and may_manage_challenge(
        session, org.mia, sdrs
    )
    assert not may_manage_challenge(session, org.ben, sdrs)
    assert may_manage_challenge(session, org.ben, named)
    assert not may_manage_challenge(session, org.mia, named)


def test_reps_see_launched_challenges_meant_for_them_and_managers_see_drafts_on_their_team(
    session: Session, org: Org
) -> None:
    draft = create_challenge(session, spec([org.alpha.id]), org.admin, now=BEFORE)
    assert may_view_challenge(session, org.ann, org.both)
    assert not may_view_challenge(session, org.cid, org.both)
    assert may_view_challenge(session, org.mia, draft)
    assert not may_view_challenge(session, org.ann, draft)
    assert not may_view_challenge(session, org.ben, draft)
    with pytest.raises(NotFound):
        get_challenge(session, draft.id, org.ann)
    assert {c.id for c in list_challenges(session, org.mia, now=LIVE)} == {org.both.id, draft.id}
    assert [c.id for c in list_challenges(session, org.cid, now=LIVE)] == []


def test_managing_a_person_follows_their_team(session: Session, org: Org) -> None:
    assert may_manage_user(session, org.mia, org.ann)
    assert not may_manage_user(session, org.mia, org.bob)
    assert may_manage_user(session, org.admin, org.bob)
    assert may_manage_user(session, org.ann, org.ann)  # for their own actions
    assert not may_manage_user(session, org.ann, org.amy)


def test_acting_for_sales_data_needs_every_person_involved(session: Session, org: Org) -> None:
    assert may_act_for_users(session, org.mia, [org.ann.id, org.amy.id, org.mia.id])
    assert not may_act_for_users(session, org.mia, [org.ann.id, org.bob.id])
    assert may_act_for_users(session, org.ann, [org.ann.id])
    assert not may_act_for_users(session, org.ann, [org.ann.id, org.amy.id])
    assert may_act_for_users(session, org.admin, [org.bob.id, org.cid.id])
    assert not may_act_for_users(session, org.mia, [987654])  # nobody: not theirs to act for


def test_a_proof_is_reviewed_only_by_a_manager_of_its_author(session: Session, org: Org) -> None:
    mission = org.both.missions[0]
    bobs = submit_proof(session, mission.id, org.bob, text="demo recorded", link=None, now=LIVE)
    anns = submit_proof(session, mission.id, org.ann, text="mine too", link=None, now=LIVE)
    assert not may_review_proof(session, org.mia, bobs, org.both)
    assert may_review_proof(session, org.ben, bobs, org.both)
    assert not may_review_proof(session, org.bob, bobs, org.both)
    with pytest.raises(Forbidden, match="Bob is not on a team you manage"):
        review_proof(session, bobs.id, org.mia, approve=True, comment=None, now=LIVE)
    assert [p.id for p in pending_proofs(session, org.both.id, org.mia)] == [anns.id]
    assert [p.id for p in pending_proofs(session, org.both.id, org.ben)] == [bobs.id]
    assert {p.id for p in pending_proofs(session, org.both.id, org.admin)} == {anns.id, bobs.id}
    proof, _ = review_proof(session, bobs.id, org.ben, approve=True, comment=None, now=LIVE)
    assert proof.status == "approved"


def test_points_are_adjusted_only_for_people_one_manages_and_never_ones_own(
    session: Session, org: Org
) -> None:
    playing = launched(
        session, org.admin, team_ids=[org.alpha.id], audience={"team_ids": [org.alpha.id],
        "user_ids": [org.mia.id]},
    )  # fmt: skip
    bob = participant_for(session, org.both.id, org.bob.id)
    mia = participant_for(session, playing.id, org.mia.id)
    assert bob is not None and mia is not None
    assert not may_adjust(session, org.mia, org.both, org.bob.id)
    assert may_adjust(session, org.mia, org.both, org.ann.id)
    assert may_adjust(session, org.ben, org.both, org.bob.id)
    with pytest.raises(Forbidden, match="Bob is not on a team you manage"):
        adjust_points(session, org.both, bob, 50, reason="late deal", actor=org.mia, now=LIVE)
    with pytest.raises(Forbidden, match="nobody adjusts their own points"):
        adjust_points(session, playing, mia, 100_000, reason="me", actor=org.mia, now=LIVE)
    assert not may_adjust(session, org.admin, org.both, org.admin.id)


def test_reading_an_ended_challenge_leaves_its_finalisation_to_the_scheduler(
    session: Session, org: Org
) -> None:
    session.flush()
    challenge = get_challenge(session, org.both.id, org.mia)
    assert challenge.ends_at <= END and challenge.finalized_at is None
    assert not session.dirty and not session.new
