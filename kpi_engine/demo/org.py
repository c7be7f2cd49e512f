"""The demo organisation, built from the real CRM sample in examples/.

Every deal of the sample is kept and goes through the same ingest path as API events; dates
are shifted by whole days so the latest close lands yesterday. A few weeks of activities are
generated with a fixed seed, since the sample has none.
"""

from __future__ import annotations

import csv
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kpi_engine.org.models import Team, User
from kpi_engine.sales.folds import ENGAGED_STAGE, FIRST_STAGE
from kpi_engine.sales.ingest import SalesEvent, ingest_events
from kpi_engine.sales.models import Deal, ProductAlias

SAMPLE_DIR = Path(__file__).resolve().parents[2] / "examples" / "crm-sales-opportunities"
DEMO_DOMAIN = "example.com"
ADMIN_EMAIL = f"admin@{DEMO_DOMAIN}"
# Seven weeks: the ended blitz (gameplay.demo.story) and the two equal periods before it.
ACTIVITY_WEEKS = 7
# The hour events are stamped at: noon in the US offices, so the date is the same in UTC.
EVENT_HOUR = time(17, 0, tzinfo=UTC)
PRODUCT_ALIASES = {"GTXPro": "GTX Pro"}
SECTOR_FIXES = {"technolgy": "technology"}
_KINDS = [("call", 50), ("email", 30), ("meeting", 10), ("demo", 5), ("social", 5)]
_OUTCOMES = {
    "call": [("no_answer", 50), ("connected", 35), ("meeting_booked", 15)],
    "email": [("none", 60), ("replied", 30), ("meeting_booked", 10)],
    "meeting": [("connected", 80), ("meeting_booked", 20)],
    "demo": [("connected", 100)],
    "social": [("none", 70), ("replied", 30)],
}
_BATCH = 2000


@dataclass(frozen=True)
class DemoSummary:
    deals: int
    reps: int
    managers: int
    won_revenue: float
    rep_email: str
    manager_email: str
    admin_email: str


def email_for(name: str) -> str:
    return ".".join(name.lower().split()) + "@" + DEMO_DOMAIN


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8-sig") as handle:
        return list(csv.DictReader(handle))


def load_demo(
    session: Session,
    *,
    password_hash: str,
    today: date,
    data_dir: Path = SAMPLE_DIR,
    seed: int = 7,
    activity_since: date | None = None,
) -> DemoSummary:
    """Create (or complete) the demo org, with activities from `activity_since` (by default
    ACTIVITY_WEEKS back) to yesterday; running it again adds nothing twice."""
    pipeline = read_csv(data_dir / "sales_pipeline.csv")
    teams = read_csv(data_dir / "sales_teams.csv")
    sectors = {
        row["account"]: SECTOR_FIXES.get(row["sector"], row["sector"])
        for row in read_csv(data_dir / "accounts.csv")
    }
    shift = _shift_days(pipeline, today)
    owners = {row["sales_agent"] for row in pipeline}
    _ensure_people(session, teams, owners, pipeline, shift, password_hash, today)
    _ensure_aliases(session)
    _ingest(session, list(_deal_events(pipeline, sectors, shift, today, random.Random(seed))))
    # Activities come second: they link to open deals, which must exist by then.
    since = activity_since or today - timedelta(weeks=ACTIVITY_WEEKS)
    activity = _activity_events(session, teams, owners, since, today, random.Random(seed))
    _ingest(session, list(activity))
    return _summary(session, pipeline)


def _ingest(session: Session, events: list[SalesEvent]) -> None:
    for start in range(0, len(events), _BATCH):
        ingest_events(session, events[start : start + _BATCH], source="demo")


def _shift_days(pipeline: list[dict[str, str]], today: date) -> timedelta:
    latest = max(date.fromisoformat(r["close_date"]) for r in pipeline if r["close_date"])
    return (today - timedelta(days=1)) - latest


def _at(day: date) -> datetime:
    return datetime.combine(day, EVENT_HOUR)


def _ensure_people(
    session: Session,
    teams: list[dict[str, str]],
    owners: set[str],
    pipeline: list[dict[str, str]],
    shift: timedelta,
    password_hash: str,
    today: date,
) -> None:
    first_deal: dict[str, date] = {}
    for row in pipeline:
        if row["engage_date"]:
            day = date.fromisoformat(row["engage_date"]) + shift
            first_deal[row["sales_agent"]] = min(day, first_deal.get(row["sales_agent"], day))
    _user(session, "Demo Admin", "admin", None, None, password_hash, None)
    for row in teams:
        manager = _user(session, row["manager"], "manager", None, None, password_hash, None)
        team = session.scalar(select(Team).where(Team.manager_id == manager.id))
        if team is None:
            team = Team(name=f"Team {row['manager'].split()[-1]}", manager=manager)
            session.add(team)
        team.region = row["regional_office"]
        agent = row["sales_agent"]
        new_hire = agent not in owners
        hired = today - timedelta(days=21) if new_hire else first_deal[agent] - timedelta(days=30)
        rep = _user(session, agent, "rep", "SDR" if new_hire else "AE", hired, password_hash, agent)
        rep.team = team
    session.flush()


def _user(
    session: Session,
    name: str,
    role: str,
    sales_role: str | None,
    hired: date | None,
    password_hash: str,
    crm_id: str | None,
) -> User:
    email = ADMIN_EMAIL if role == "admin" else email_for(name)
    user = session.scalar(select(User).where(User.email == email))
    if user is None:
        user = User(email=email, name=name, app_role=role, password_hash=password_hash)
        session.add(user)
    user.sales_role, user.hire_date, user.crm_user_id = sales_role, hired, crm_id
    session.flush()
    return user


def _ensure_aliases(session: Session) -> None:
    known = set(session.scalars(select(ProductAlias.alias)))
    for alias, product in PRODUCT_ALIASES.items():
        if alias not in known:
            session.add(ProductAlias(alias=alias, product=product))
    session.flush()


def _deal_events(
    pipeline: list[dict[str, str]],
    sectors: dict[str, str],
    shift: timedelta,
    today: date,
    rng: random.Random,
) -> Iterator[SalesEvent]:
    for row in pipeline:
        deal_id, rep = row["opportunity_id"], row["sales_agent"]
        engaged = date.fromisoformat(row["engage_date"]) + shift if row["engage_date"] else None
        # Prospecting rows carry no date at all: they were created in the last few weeks.
        created = engaged or today - timedelta(days=rng.randint(1, 28))
        data = {
            "deal_id": deal_id,
            "product": row["product"],
            "account": row["account"] or None,
            "segment": sectors.get(row["account"]),
            "currency": "USD",
            "stage": FIRST_STAGE,
        }
        yield _dated(f"demo:{deal_id}:created", "deal.created", created, rep, data)
        if engaged is not None:
            stage = {"deal_id": deal_id, "stage": ENGAGED_STAGE}
            yield _dated(f"demo:{deal_id}:engaged", "deal.stage_changed", engaged, rep, stage)
        if row["deal_stage"] in ("Won", "Lost"):
            closed = date.fromisoformat(row["close_date"]) + shift
            kind = "deal.won" if row["deal_stage"] == "Won" else "deal.lost"
            close = {"deal_id": deal_id, "amount": row["close_value"] or "0"}
            yield _dated(f"demo:{deal_id}:closed", kind, closed, rep, close)


def _dated(key: str, type_: str, day: date, rep: str, data: dict[str, Any]) -> SalesEvent:
    """An event of the sample's, which gives days only: the day as the CSV has it, whatever
    the organisation's time zone."""
    return SalesEvent(key, type_, _at(day), rep, data, day=day)


def _activity_events(
    session: Session,
    teams: list[dict[str, str]],
    owners: set[str],
    since: date,
    today: date,
    rng: random.Random,
) -> Iterator[SalesEvent]:
    open_deals: dict[int, list[str]] = {}
    open_query = (
        select(Deal.owner_id, Deal.crm_id).where(Deal.status == "open").order_by(Deal.crm_id)
    )
    for owner_id, crm_id in session.execute(open_query):
        open_deals.setdefault(owner_id, []).append(crm_id)
    days = [since + timedelta(days=n) for n in range((today - since).days)]
    for row in teams:
        agent = row["sales_agent"]
        rep = session.scalar(select(User).where(User.crm_user_id == agent))
        assert rep is not None
        busy = (4, 10) if agent in owners else (2, 6)
        for day in (d for d in days if d.weekday() < 5):
            for n in range(rng.randint(*busy)):
                kind = _pick(rng, _KINDS)
                data = {"kind": kind, "outcome": _pick(rng, _OUTCOMES[kind])}
                deals = open_deals.get(rep.id)
                if deals and rng.random() < 0.4:
                    data["deal_id"] = rng.choice(deals)
                moment = _at(day) - timedelta(hours=8) + timedelta(minutes=rng.randint(0, 540))
                yield SalesEvent(
                    f"demo:act:{rep.id}:{day}:{n}", "activity.logged", moment, agent, data
                )


def _pick(rng: random.Random, weighted: list[tuple[str, int]]) -> str:
    names, weights = zip(*weighted, strict=True)
    return rng.choices(names, weights)[0]


def _summary(session: Session, pipeline: list[dict[str, str]]) -> DemoSummary:
    won = session.scalar(select(func.sum(Deal.amount)).where(Deal.status == "won")) or 0
    busiest = max(
        {r["sales_agent"] for r in pipeline},
        key=lambda a: sum(
            1 for r in pipeline if r["sales_agent"] == a and r["deal_stage"] == "Won"
        ),
    )
    rep = session.scalar(select(User).where(User.crm_user_id == busiest))
    manager = rep.team.manager if rep and rep.team else None
    return DemoSummary(
        deals=session.scalar(select(func.count(Deal.id))) or 0,
        reps=session.scalar(select(func.count(User.id)).where(User.app_role == "rep")) or 0,
        managers=session.scalar(select(func.count(User.id)).where(User.app_role == "manager")) or 0,
        won_revenue=float(won),
        rep_email=rep.email if rep else "",
        manager_email=manager.email if manager else "",
        admin_email=ADMIN_EMAIL,
    )
