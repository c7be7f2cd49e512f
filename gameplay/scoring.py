"""Applying one sales fact to the challenges it falls in: rules (with caps and gaps), missions,
and the undoing of a fact (a won deal lost or reopened) by reversing entries."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from gameplay.changes import Changes
from gameplay.enrollment import enrol, in_audience, quota_of
from gameplay.ledger import Posting, post_entry, reverse_entries
from gameplay.missions import advance_missions
from gameplay.models import Challenge, CountedFact, LedgerEntry, Participant, ScoringRule
from gameplay.rules import Fact, describe_criteria, matches, rule_points
from kpi_engine.models import Deal, User


def live_challenges(session: Session) -> list[Challenge]:
    """Launched, not cancelled, not yet finalised challenges, with their rules and missions."""
    query = select(Challenge).where(
        Challenge.launched_at.isnot(None),
        Challenge.cancelled_at.is_(None),
        Challenge.finalized_at.is_(None),
    )
    loading = (selectinload(Challenge.rules), selectinload(Challenge.missions))
    return list(session.scalars(query.options(*loading).order_by(Challenge.id)))


def lock_challenges(session: Session, challenges: Iterable[Challenge]) -> None:
    """Lock these challenges' rows in id order until the transaction ends, and re-read them.

    Standings are read, added to and written back, so two writers scoring the same challenge
    must take turns (on PostgreSQL; SQLite's BEGIN IMMEDIATE already serialises writers)."""
    ids = sorted({c.id for c in challenges})
    if ids:
        query = select(Challenge).where(Challenge.id.in_(ids)).order_by(Challenge.id)
        query = query.with_for_update().execution_options(populate_existing=True)
        session.scalars(query).all()


def open_at(challenges: list[Challenge], at: datetime) -> list[Challenge]:
    """Those of these challenges whose window contains `at`."""
    return [c for c in challenges if c.starts_at <= at < c.ends_at]


def score_fact(
    session: Session, challenges: list[Challenge], fact: Fact, *, now: datetime, changes: Changes
) -> None:
    """Count a fact in each of these challenges its rep takes part in (or is auto-enrolled in)."""
    for challenge, participant in _participations(session, challenges, fact.rep_id, now):
        session.add(
            CountedFact(
                challenge_id=challenge.id,
                user_id=fact.rep_id,
                source_ref=fact.source_ref,
                fact=fact.as_json(),
                occurred_at=fact.occurred_at,
            )
        )
        for rule in challenge.rules:
            if matches(rule, fact):
                _apply_rule(session, challenge, participant, rule, fact, now, changes)
        advance_missions(session, challenge, participant, fact, sign=1, now=now, changes=changes)


def undo_fact(
    session: Session, source_ref: str, *, at: datetime, now: datetime, changes: Changes
) -> None:
    """Reverse the points and mission progress a fact earned in every challenge still open."""
    query = (
        select(CountedFact, Challenge, Participant)
        .join(Challenge, Challenge.id == CountedFact.challenge_id)
        .join(
            Participant,
            (Participant.challenge_id == Challenge.id)
            & (Participant.user_id == CountedFact.user_id),
        )
        .where(
            CountedFact.source_ref == source_ref,
            CountedFact.reversed_at.is_(None),
            Challenge.finalized_at.is_(None),
        )
        .order_by(CountedFact.id)
        .execution_options(populate_existing=True)
    )
    for counted, challenge, participant in session.execute(query).all():
        counted.reversed_at = now
        reverse_entries(
            session, challenge, participant, source_ref, at=at, now=now, changes=changes
        )
        fact = Fact.from_json(counted.fact)
        advance_missions(session, challenge, participant, fact, sign=-1, now=now, changes=changes)


def _participations(
    session: Session, challenges: list[Challenge], user_id: int, now: datetime
) -> list[tuple[Challenge, Participant]]:
    if not challenges:
        return []
    by_challenge = {
        p.challenge_id: p
        for p in session.scalars(
            select(Participant)
            .where(
                Participant.user_id == user_id,
                Participant.challenge_id.in_([c.id for c in challenges]),
            )
            .execution_options(populate_existing=True)
        )
    }
    user = session.get(User, user_id)
    pairs = []
    for challenge in challenges:
        participant = by_challenge.get(challenge.id)
        if participant is None and _joins_automatically(challenge, user):
            participant = enrol(session, challenge, user, now=now)  # type: ignore[arg-type]
        if participant is not None:
            pairs.append((challenge, participant))
    return pairs


def _joins_automatically(challenge: Challenge, user: User | None) -> bool:
    """A rep who joined the audience after launch (a new hire) enters an auto challenge."""
    eligible = user is not None and user.app_role == "rep" and user.active
    return eligible and challenge.enrolment == "auto" and in_audience(challenge, user)  # type: ignore[arg-type]


def _apply_rule(
    session: Session,
    challenge: Challenge,
    participant: Participant,
    rule: ScoringRule,
    fact: Fact,
    now: datetime,
    changes: Changes,
) -> None:
    if rule.min_gap_minutes and _too_soon(session, challenge, participant, rule, fact):
        return
    points = rule_points(rule, fact, existing_account=_existing_account(session, rule, fact))
    points = _normalised(challenge, participant.user_id, points)
    if rule.daily_cap is not None:
        points = min(
            points, rule.daily_cap - _used_today(session, challenge, participant, rule, fact)
        )
    if points <= 0:
        return
    posting = Posting(
        "rule",
        describe_criteria(rule),
        fact.occurred_at,
        rule_id=rule.id,
        source_ref=fact.source_ref,
        raw_event_id=fact.raw_event_id,
    )
    post_entry(session, challenge, participant, points, posting, now=now, changes=changes)


def _normalised(challenge: Challenge, user_id: int, points: int) -> int:
    """As a share of quota: points per 100 units of quota, so territories compare fairly."""
    quota = quota_of(challenge, user_id) if challenge.quota_normalised else None
    if not quota:
        return points
    return int((Decimal(points) * 100 / quota).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _rule_entries(challenge: Challenge, participant: Participant, rule: ScoringRule):
    return (
        LedgerEntry.challenge_id == challenge.id,
        LedgerEntry.user_id == participant.user_id,
        LedgerEntry.rule_id == rule.id,
    )


def _too_soon(
    session: Session, challenge: Challenge, participant: Participant, rule: ScoringRule, fact: Fact
) -> bool:
    """An identical action scored within the minimum gap (before or after) earns nothing."""
    gap = timedelta(minutes=rule.min_gap_minutes or 0)
    query = select(LedgerEntry.id).where(
        *_rule_entries(challenge, participant, rule),
        LedgerEntry.kind == "rule",
        LedgerEntry.occurred_at > fact.occurred_at - gap,
        LedgerEntry.occurred_at < fact.occurred_at + gap,
    )
    return session.scalar(query.limit(1)) is not None


def _used_today(
    session: Session, challenge: Challenge, participant: Participant, rule: ScoringRule, fact: Fact
) -> int:
    """Points this rule already gave the rep on the fact's day, in the challenge's time zone."""
    zone = ZoneInfo(challenge.timezone)
    day = fact.occurred_at.astimezone(zone).date()
    start = datetime.combine(day, time(), zone)
    end = datetime.combine(day + timedelta(days=1), time(), zone)
    query = select(func.coalesce(func.sum(LedgerEntry.points), 0)).where(
        *_rule_entries(challenge, participant, rule),
        LedgerEntry.occurred_at >= start,
        LedgerEntry.occurred_at < end,
    )
    return int(session.scalar(query) or 0)


def _existing_account(session: Session, rule: ScoringRule, fact: Fact) -> bool:
    """The account had won a different deal before this one: an upsell, not a new logo."""
    if rule.existing_account_multiplier is None or not fact.account:
        return False
    query = select(Deal.id).where(
        Deal.account == fact.account,
        Deal.status == "won",
        Deal.closed_at < fact.occurred_at,
        Deal.crm_id != fact.source_ref.removeprefix("deal:"),
    )
    return session.scalar(query.limit(1)) is not None
