"""What the demo has already been through, so each role's first page shows what the product is
for: an ended meeting blitz that one team ran (the demo manager's) while the comparable teams
did not, finalised with winners, badges and prizes, and whose planted effect (participants
booked about one more meeting a working day during its window) the impact report measures;
an earlier blitz of the same kind over that team's region, with a randomised holdout, so its
report leads with the randomised comparison and leadership's page pools the two blitzes;
proofs waiting in the manager's review queue; a stocked rewards catalogue with redemptions
waiting to be handed over.

Everything goes through the real domain functions with the clock passed in, with a fixed seed,
and each part is added once: running the demo again adds nothing twice.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from gameplay.core.models import Challenge, Mission, Participant, Proof, Redemption, Reward
from gameplay.demo.challenges import (
    STORY_MISSION,
    add_demo_challenges,
    demo_admin,
    score_window,
)
from gameplay.manage.challenges import create_challenge, launch_challenge
from gameplay.manage.finalization import finalize_challenge
from gameplay.manage.rewards import add_catalogue_reward, redeem
from gameplay.manage.templates import spec_from_template
from gameplay.scoring.missions import submit_proof
from gameplay.scoring.profiles import profile_of
from kpi_engine.demo.customers import add_new_customers, win_new_customers
from kpi_engine.demo.inputs import enter_demo_inputs
from kpi_engine.demo.org import DemoSummary, load_demo
from kpi_engine.org.models import Team, User
from kpi_engine.periods import quarter_of
from kpi_engine.sales.ingest import SalesEvent, ingest_events
from kpi_engine.sales.models import Deal
from kpi_engine.words import N_

BLITZ_TEAM = "Team Marxen"  # the demo manager's team (kpi_engine.demo.org's busiest rep's)
BLITZ_NAME = N_("Demo: meeting blitz")
# The blitz ran for two weeks and ended five days ago: long enough ago to be finalised, with
# the two equal periods before it (pre-window and pre-trend check) inside the demo's activity.
BLITZ_DAYS, BLITZ_ENDED_DAYS_AGO = 14, 5
# The same kind of blitz ran before over the blitz team's whole region, with a randomised
# holdout: ended 50 days ago, so its windows (three of 14 days before its end) stay clear of
# the later blitz's, and leadership's page pools the two.
SPRING_NAME = N_("Demo: spring meeting blitz (with holdout)")
SPRING_ENDED_DAYS_AGO, SPRING_HOLDOUT, SPRING_SEED = 50, Decimal("0.3"), 20261207
# What taking part did, per participant and working day of the window: a few extra calls, a
# third of them booking a meeting (the planted effect on "meetings booked").
EXTRA_CALLS = (2, 4)
EXTRA_OUTCOMES = (("meeting_booked", 35), ("connected", 45), ("no_answer", 20))
# ... and a few more won deals with new accounts (the planted effect on revenue and win rate).
EXTRA_WINS = (4, 6)
CATALOGUE = ((N_("Coffee voucher"), 100, "5"), (N_("Company hoodie"), 400, "45"),
             (N_("Team lunch"), 900, "150"), (N_("Extra day off"), 2500, None))  # fmt: skip
PROOFS = (
    (STORY_MISSION, "Acme renewed after the GTX Pro demo; their ops lead will be a reference."),
    ("Complete the product training", "Finished all five product modules and the quiz."),
)


@dataclass(frozen=True)
class DemoStory:
    ended: list[Challenge]
    live: list[Challenge]
    proofs: int
    rewards: int
    redemptions: int


@dataclass(frozen=True)
class DemoWorld:
    org: DemoSummary
    story: DemoStory
    inputs: int


def load_demo_world(
    session: Session, *, password_hash: str, now: datetime, tz: str = "UTC"
) -> DemoWorld:
    """What `flask demo` loads: the org and its sales up to yesterday (with a few new
    customers), the story, the inputs."""
    # Activities from the start of the previous quarter, so its scorecard has them too.
    since = quarter_of(now, tz).previous().first_day
    org = load_demo(session, password_hash=password_hash, today=now.date(), activity_since=since)
    add_new_customers(session, today=now.date())
    story = add_demo_story(session, now=now)
    return DemoWorld(org, story, enter_demo_inputs(session, now=now, tz=tz))


def add_demo_story(session: Session, *, now: datetime, seed: int = 7) -> DemoStory:
    """Add the ended blitz, the live challenges, the pending proofs and the rewards catalogue
    to the demo org, each unless present (what is added is returned)."""
    admin = demo_admin(session)
    team = session.scalar(select(Team).where(Team.name == BLITZ_TEAM))
    if admin is None or team is None:
        return DemoStory([], [], 0, 0, 0)
    # The blitz's planted calls come first, so the live challenges count them too.
    spring = _spring_blitz(session, admin, team, now, random.Random(seed + 1))
    blitz = _ended_blitz(session, admin, team, now, random.Random(seed))
    live = add_demo_challenges(session, now=now)
    proofs = _pending_proofs(session, team, now)
    rewards = _catalogue(session, admin)
    redemptions = _redemptions(session, team, now)
    ended = [c for c in (spring, blitz) if c is not None]
    return DemoStory(ended, live, proofs, rewards, redemptions)


def blitz_window(now: datetime) -> tuple[datetime, datetime]:
    """Where the ended blitz's window lies for a demo loaded at `now`: whole UTC days."""
    ends = datetime.combine(now.date() - timedelta(days=BLITZ_ENDED_DAYS_AGO), time(), UTC)
    return ends - timedelta(days=BLITZ_DAYS), ends


def _ended_blitz(
    session: Session, admin: User, team: Team, now: datetime, rng: random.Random
) -> Challenge | None:
    if session.scalar(select(Challenge.id).where(Challenge.name == BLITZ_NAME)):
        return None
    starts, ends = blitz_window(now)
    reps = list(session.scalars(select(User).where(User.team_id == team.id).order_by(User.id)))
    _ingest_planted_calls(session, reps, starts, ends, rng)
    _ingest_planted_wins(session, reps, starts, ends, rng)
    form = {
        "name": BLITZ_NAME,
        "starts_at": starts,
        "ends_at": ends,
        "timezone": "UTC",
        "audience": {"team_ids": [team.id]},
        "top_n": 3,
        "reward_budget": Decimal("150"),
        "rewards": [
            {"name": N_("$50 gift card"), "cash_value": Decimal("50")},
            {"name": N_("Winner's bonus"), "bonus_points": 100},
        ],
    }
    spec = spec_from_template("prospecting", form)
    # Drafted and launched the day before it started, by the clock of that day.
    launched = starts - timedelta(days=1)
    challenge = create_challenge(session, spec, admin, now=launched)
    launch_challenge(session, challenge.id, admin, now=launched)
    score_window(session, challenge, starts, ends, now=ends)
    finalize_challenge(session, challenge, now=ends + timedelta(hours=1))
    return challenge


def _spring_blitz(
    session: Session, admin: User, team: Team, now: datetime, rng: random.Random
) -> Challenge | None:
    """The earlier blitz over the whole region of the blitz team, 30 % of each team, role and
    tenure held out at launch (a fixed seed); the reps kept in made the same extra calls and
    wins as the later blitz's."""
    if session.scalar(select(Challenge.id).where(Challenge.name == SPRING_NAME)):
        return None
    ends = datetime.combine(now.date() - timedelta(days=SPRING_ENDED_DAYS_AGO), time(), UTC)
    starts = ends - timedelta(days=BLITZ_DAYS)
    region = select(Team.id).where(Team.region == team.region).order_by(Team.id)
    form = {
        "name": SPRING_NAME,
        "starts_at": starts,
        "ends_at": ends,
        "timezone": "UTC",
        "audience": {"team_ids": list(session.scalars(region))},
        "top_n": 3,
        "rewards": [{"name": "$30 gift card", "cash_value": Decimal("30")}],
    }
    spec = spec_from_template("prospecting", form) | {"holdout_share": SPRING_HOLDOUT}
    launched = starts - timedelta(days=1)
    challenge = create_challenge(session, spec, admin, now=launched)
    launch_challenge(session, challenge.id, admin, now=launched, holdout_seed=SPRING_SEED)
    kept_in = [a.user_id for a in challenge.assignments if a.arm == "treated"]
    reps = list(session.scalars(select(User).where(User.id.in_(kept_in)).order_by(User.id)))
    _ingest_planted_calls(session, reps, starts, ends, rng, key="demo:spring")
    _ingest_planted_wins(session, reps, starts, ends, rng, key="demo-spring")
    score_window(session, challenge, starts, ends, now=ends)
    finalize_challenge(session, challenge, now=ends + timedelta(hours=1))
    return challenge


def _ingest_planted_calls(
    session: Session,
    reps: list[User],
    starts: datetime,
    ends: datetime,
    rng: random.Random,
    key: str = "demo:blitz",
) -> None:
    events = list(_planted_calls(reps, starts, ends, rng, key))
    ingest_events(session, events, source="demo")


def _ingest_planted_wins(
    session: Session,
    reps: list[User],
    starts: datetime,
    ends: datetime,
    rng: random.Random,
    key: str = "demo-blitz",
) -> None:
    """The meetings turned into new customers: each participant with a track record (a won
    deal before) closed a few more new accounts in the window than they would have."""
    sellers = select(Deal.owner_id).where(Deal.status == "won", Deal.closed_at < starts)
    track = set(session.scalars(sellers.distinct()))
    hours = int((ends - starts).total_seconds() // 3600)
    wins = [
        (rep, starts + timedelta(hours=rng.randint(0, hours - 1)))
        for rep in reps
        if rep.id in track
        for _ in range(rng.randint(*EXTRA_WINS))
    ]
    suffix = " Group" if key == "demo-blitz" else " Partners"
    win_new_customers(session, wins, key=key, rng=rng, suffix=suffix)


def _planted_calls(
    reps: list[User], starts: datetime, ends: datetime, rng: random.Random, prefix: str
) -> Iterator[SalesEvent]:
    outcomes, weights = [o for o, _ in EXTRA_OUTCOMES], [w for _, w in EXTRA_OUTCOMES]
    day = starts
    while day < ends:
        for rep in (r for r in reps if day.weekday() < 5 and r.crm_user_id):
            for n in range(rng.randint(*EXTRA_CALLS)):
                at = day + timedelta(hours=9, minutes=rng.randint(0, 540))
                data = {"kind": "call", "outcome": rng.choices(outcomes, weights)[0]}
                key = f"{prefix}:{rep.id}:{day.date()}:{n}"
                yield SalesEvent(key, "activity.logged", at, rep.crm_user_id or "", data)
        day += timedelta(days=1)


def _pending_proofs(session: Session, team: Team, now: datetime) -> int:
    """Reps of the team send proofs for manual missions of the live challenges they are in."""
    sent = 0
    for mission_name, text in PROOFS:
        query = (
            select(Mission, Participant.user_id)
            .join(Challenge, Challenge.id == Mission.challenge_id)
            .join(Participant, Participant.challenge_id == Challenge.id)
            .join(User, User.id == Participant.user_id)
            .where(Mission.name == mission_name, Challenge.name.like("Demo:%"))
            .where(User.team_id == team.id, Challenge.ends_at > now)
            .order_by(Participant.user_id)
        )
        for mission, user_id in session.execute(query).all()[:2]:
            if _has_proof(session, mission.id, user_id):
                continue
            author = session.get(User, user_id)
            assert author is not None
            submit_proof(session, mission.id, author, text=text, link=None, now=now)
            sent += 1
    return sent


def _has_proof(session: Session, mission_id: int, user_id: int) -> bool:
    query = select(Proof.id).where(Proof.mission_id == mission_id, Proof.user_id == user_id)
    return session.scalar(query) is not None


def _catalogue(session: Session, admin: User) -> int:
    known = set(session.scalars(select(Reward.name).where(Reward.challenge_id.is_(None))))
    added = 0
    for name, cost, cash in CATALOGUE:
        if name not in known:
            value = Decimal(cash) if cash else None
            add_catalogue_reward(session, admin, name=name, cost=cost, cash_value=value)
            added += 1
    return added


def _redemptions(session: Session, team: Team, now: datetime) -> int:
    """The team's two richest reps each buy the dearest reward they can afford."""
    if session.scalar(select(Redemption.id).limit(1)) is not None:
        return 0
    reps = list(session.scalars(select(User).where(User.team_id == team.id)))
    richest = sorted(reps, key=lambda u: (-profile_of(session, u.id).balance, u.id))[:2]
    rewards = list(session.scalars(select(Reward).where(Reward.challenge_id.is_(None))))
    made = 0
    for rep in richest:
        balance = profile_of(session, rep.id).balance
        affordable = [r for r in rewards if r.active and r.cost <= balance]
        if affordable:
            redeem(session, max(affordable, key=lambda r: r.cost).id, rep, now=now)
            made += 1
    return made
