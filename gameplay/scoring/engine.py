"""The game engine's entry point: record sales events, then apply them to the live challenges.

Every ingest path (events API, webhooks, CSV import, a rep logging an activity) goes through
`record_sales_events`; the caller commits, then publishes the returned Changes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from gameplay.core.changes import Changes
from gameplay.core.models import Challenge
from gameplay.scoring.badges import FactBadges
from gameplay.scoring.rules import Fact, activity_fact, deal_ref, won_deal_fact
from gameplay.scoring.scorer import (
    OpenChallenges,
    Plan,
    Scoring,
    live_challenges,
    lock_challenges,
    writes_alone,
)
from kpi_engine.org.models import User
from kpi_engine.org.reach import EVERYONE, Reach
from kpi_engine.sales.folds import StoredEvent
from kpi_engine.sales.ingest import DealTransition, IngestResult, SalesEvent, ingest_events


@dataclass(frozen=True)
class Step:
    """One thing to do to the game, in the order its latest raw event arrived."""

    order: int
    at: datetime
    fact: Fact | None = None
    undo_ref: str | None = None


def record_sales_events(
    session: Session,
    events: Sequence[SalesEvent],
    *,
    source: str,
    now: datetime,
    reach: Reach = EVERYONE,
    tz: str = "UTC",
) -> tuple[IngestResult, Changes]:
    """Store the events once each, update the mirror, score them in live challenges; flushes.

    Events the caller's `reach` does not cover are rejected by the ingest, as it says; `tz`
    is the organisation's time zone, which dates an instant (sales.ingest.SalesEvent)."""
    result = ingest_events(session, events, source=source, now=now, reach=reach, tz=tz)
    return result, apply_steps(session, ingest_steps(result), now=now, users=result.reps)


def ingest_steps(result: IngestResult) -> list[Step]:
    """What an ingest means for the game: new activities, and deals that became or left won.

    A deal that stays won on other terms (its amount arrived late, say) has its old credit
    undone and the new one scored, so its points follow the deal as its events now describe
    it, whatever order they came in."""
    latest = _latest_raw_by_subject(result.accepted)
    steps = []
    for activity in result.new_activities:
        raw = latest[activity.crm_id]
        steps.append(Step(raw.id, raw.occurred_at, fact=activity_fact(activity, raw.id)))
    for transition in result.deal_transitions:
        steps += deal_steps(transition, latest[transition.deal.crm_id])
    return steps


def deal_steps(transition: DealTransition, raw: StoredEvent) -> list[Step]:
    """A deal's change as game steps: undo its old credit, score its new one, or both."""
    steps = []
    if transition.left_won or transition.revalued:
        steps.append(Step(raw.id, raw.occurred_at, undo_ref=deal_ref(transition.deal.crm_id)))
    if transition.became_won or transition.revalued:
        fact = won_deal_fact(transition.deal, raw.id)
        steps.append(Step(raw.id, fact.occurred_at, fact=fact))
    return steps


def apply_steps(
    session: Session,
    steps: Iterable[Step],
    *,
    now: datetime,
    replay: bool = False,
    users: Mapping[int, User] | None = None,
) -> Changes:
    """Apply steps in arrival order; cost grows with the challenges a fact falls in only.

    What the steps read is read once for all of them, and what they write is written once.
    A replay (rebuild) leaves ranks, lifetime points and the news to its caller."""
    changes = Changes()
    ordered = sorted(steps, key=lambda s: s.order)
    # Writing alone (SQLite), the live challenges are read with their rules and missions in
    # one go; else the ones written to are locked and re-read (lock_challenges).
    alone = writes_alone(session)
    live = live_challenges(session, with_terms=alone)
    open_at = OpenChallenges(live)
    plan = [(open_at.at(s.fact.occurred_at), s.fact) for s in ordered if s.fact is not None]
    if not alone:
        lock_challenges(session, _writable(live, ordered, plan))
    scoring = Scoring(session, now=now, changes=changes, replay=replay, users=users)
    scoring.prepare(plan)
    badges = FactBadges(scoring.badges, [fact for _, fact in plan])
    facts = iter(plan)
    for step in ordered:
        if step.undo_ref is not None:
            scoring.undo(step.undo_ref, at=step.at)
        elif step.fact is not None:
            scoring.score(*next(facts))
            badges.check(step.fact)
    scoring.close()
    session.flush()
    return changes


def _writable(live: list[Challenge], steps: list[Step], plan: Plan) -> list[Challenge]:
    """The live challenges these steps may write to: all of them when a step undoes a fact
    (where it was counted is found while undoing), else those open when a fact happened."""
    if any(step.undo_ref is not None for step in steps):
        return live
    return list({c for challenges, _ in plan for c in challenges})


def _latest_raw_by_subject(raws: Iterable[StoredEvent]) -> dict[str, StoredEvent]:
    latest: dict[str, StoredEvent] = {}
    for raw in raws:
        if raw.subject not in latest or raw.id > latest[raw.subject].id:
            latest[raw.subject] = raw
    return latest
