"""Rebuild: derive the ledgers, mission progress and standings of every open challenge again
from the raw events: the steps each delivery meant (found batch by batch, as they arrived) are
scored in one call of the engine, in arrival order, so the result is exactly what the
incremental path gave. Finalised and cancelled challenges keep their results;
manual adjustments and approved proofs, which no sales event explains, are kept."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from itertools import groupby

from sqlalchemy import ColumnElement, delete, func, select, true, update
from sqlalchemy.orm import Session

from gameplay.core.models import (
    Challenge,
    CountedFact,
    LedgerEntry,
    Mission,
    MissionProgress,
    Participant,
    PlayerProfile,
)
from gameplay.core.standings import bump_versions, recompute_ranks
from gameplay.scoring.engine import Step, apply_steps, deal_steps
from gameplay.scoring.rules import activity_fact
from gameplay.scoring.scorer import live_challenges
from kpi_engine.sales.folds import StoredEvent, WinTerms, activity_of, fold_deal, terms_of
from kpi_engine.sales.ingest import RAW_EVENTS, DealTransition, product_aliases, stored_events

DERIVED_KINDS = ("rule", "reversal")


@dataclass(frozen=True)
class RebuildSummary:
    challenges: int
    raw_events: int
    entries: int


def rebuild_game(session: Session, *, now: datetime) -> RebuildSummary:
    """Recompute every open challenge's game state from the raw events; flushes."""
    ids = [challenge.id for challenge in live_challenges(session)]
    _reset(session, ids)
    raws = stored_events(session, select(RAW_EVENTS).order_by(RAW_EVENTS.c.id))
    replay = _Replay(product_aliases(session), now)
    # The steps of every delivery, found as each delivery left the mirror, then scored in one
    # call: in arrival order, as they were live, but read and written once for all of them.
    steps = [
        step
        for _, batch in groupby(raws, key=lambda r: (r.received_at, r.source))
        for step in replay.steps(list(batch))
    ]
    apply_steps(session, steps, now=now, replay=True)  # ranks and lifetimes: afresh below
    for challenge_id in ids:
        recompute_ranks(session, challenge_id)
    _recount_lifetime(session)
    session.flush()
    entries = session.scalar(
        select(func.count()).select_from(LedgerEntry).where(LedgerEntry.challenge_id.in_(ids))
    )
    return RebuildSummary(len(ids), len(raws), entries or 0)


class _Replay:
    """The mirror's view of each subject as of each batch, to find the same steps again."""

    def __init__(self, aliases: dict[str, str], now: datetime) -> None:
        self.aliases, self.now = aliases, now
        self.known: dict[str, list[StoredEvent]] = defaultdict(list)
        self.status: dict[str, str] = {}
        self.terms: dict[str, WinTerms] = {}

    def steps(self, batch: list[StoredEvent]) -> list[Step]:
        new_subjects = {r.subject for r in batch} - set(self.known)
        latest: dict[str, StoredEvent] = {}
        for raw in batch:
            self.known[raw.subject].append(raw)
            latest[raw.subject] = raw
        steps: list[Step] = []
        for subject, raw in latest.items():
            if raw.type == "activity.logged":
                steps.extend(self._activity(subject, raw) if subject in new_subjects else [])
            else:
                steps.extend(self._deal(subject, raw))
        return steps

    def _history(self, subject: str) -> list[StoredEvent]:
        return sorted(self.known[subject], key=lambda r: (r.occurred_at, r.id))

    def _activity(self, subject: str, raw: StoredEvent) -> list[Step]:
        activity = activity_of(self._history(subject))
        return [Step(raw.id, raw.occurred_at, fact=activity_fact(activity, raw.id))]

    def _deal(self, subject: str, raw: StoredEvent) -> list[Step]:
        deal = fold_deal(self._history(subject), self.aliases, self.now)
        transition = DealTransition.of(deal, self.status.get(subject), self.terms.get(subject))
        self.status[subject], self.terms[subject] = deal.status, terms_of(deal)
        return [] if transition is None else deal_steps(transition, raw)


def _reset(session: Session, ids: list[int]) -> None:
    """Drop what the events derived; keep adjustments, prizes and approved manual missions."""
    auto_missions = select(Mission.id).where(
        Mission.challenge_id.in_(ids), Mission.manual.is_(False)
    )
    session.execute(
        delete(LedgerEntry).where(
            LedgerEntry.challenge_id.in_(ids), LedgerEntry.kind.in_(DERIVED_KINDS)
        )
    )
    session.execute(
        delete(LedgerEntry).where(
            LedgerEntry.challenge_id.in_(ids), LedgerEntry.mission_id.in_(auto_missions)
        )
    )
    session.execute(delete(MissionProgress).where(MissionProgress.mission_id.in_(auto_missions)))
    session.execute(delete(CountedFact).where(CountedFact.challenge_id.in_(ids)))
    session.flush()
    session.expire_all()
    for challenge in session.scalars(select(Challenge).where(Challenge.id.in_(ids))):
        _restart_standings(session, challenge)


def _restart_standings(session: Session, challenge: Challenge) -> None:
    kept = (
        select(func.coalesce(func.sum(LedgerEntry.points), 0))
        .where(
            LedgerEntry.challenge_id == challenge.id,
            LedgerEntry.user_id == Participant.user_id,
            LedgerEntry.on_the_board,
        )
        .scalar_subquery()
    )
    restart = (
        update(Participant)
        .where(Participant.challenge_id == challenge.id)
        .values(points=kept, reached_at=challenge.starts_at, target_reached_at=None)
        .execution_options(synchronize_session="fetch")
    )
    session.execute(restart)
    bump_versions(session, [challenge])
    recompute_ranks(session, challenge.id)


def _recount_lifetime(session: Session) -> None:
    totals = _points_by_user(session, true())
    for profile in session.scalars(select(PlayerProfile)):
        profile.lifetime_points = totals.get(profile.user_id, 0)


def _points_by_user(session: Session, where: ColumnElement[bool]) -> dict[int, int]:
    query = select(LedgerEntry.user_id, func.sum(LedgerEntry.points)).where(where)
    rows = session.execute(query.group_by(LedgerEntry.user_id))
    return {user_id: int(total or 0) for user_id, total in rows}
