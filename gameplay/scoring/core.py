"""The scoring core, as the business says it: a sales fact, the rules of the challenges its
rep counts in and what the ledger already holds give ledger entries, moved standings and
targets reached. Pure: no session, no clock, no I/O; the engine (scorer.py) reads what the
core looks at, calls it, and writes what it returns.

    score_facts(facts, boards, standings, history) -> Outcome(entries, standings, completions)

Scoring facts in one batch gives what scoring them one at a time gives, each seeing the last
one's outcome (tests/domain/test_scoring_core.py holds that as a property).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from gameplay.core.models import Challenge, ScoringRule
from gameplay.scoring.rules import Fact, matches, rule_points, what_counts

RuleKey = tuple[int, int, int]  # challenge, user, rule
Seat = tuple[int, int]  # challenge, user


@dataclass(frozen=True)
class Board:
    """A challenge as scoring sees it: its rules, day boundaries, target and quotas."""

    challenge_id: int
    zone: ZoneInfo
    rules: tuple[ScoringRule, ...]
    target: int | None = None
    quotas: Mapping[int, Decimal] | None = None  # None: points are not quota-normalised
    reasons: Mapping[int, str] = field(default_factory=dict)  # rule id -> what it counts

    @classmethod
    def of(cls, challenge: Challenge) -> Board:
        """The scoring terms of a loaded challenge (its rules read once, here)."""
        quotas = None
        if challenge.quota_normalised:
            quotas = {int(u): Decimal(str(q)) for u, q in (challenge.quotas or {}).items()}
        return cls(
            challenge.id,
            ZoneInfo(challenge.timezone),
            tuple(challenge.rules),
            challenge.target,
            quotas,
            {rule.id: what_counts(rule) for rule in challenge.rules},
        )


@dataclass(frozen=True)
class Entry:
    """A ledger entry the core posts: who, where, how many points, why and from what."""

    challenge_id: int
    user_id: int
    points: int
    kind: str
    reason: str
    occurred_at: datetime
    rule_id: int | None = None
    source_ref: str | None = None
    raw_event_id: int | None = None


@dataclass(frozen=True)
class Place:
    """A participant's standing as points move it (ranks are the persistence step's)."""

    points: int
    reached_at: datetime
    target_reached_at: datetime | None = None

    def moved(self, points: int, at: datetime, target: int | None) -> Place:
        """This place after `points` more, earned at `at`: the target is reached once."""
        total = self.points + points
        reached = self.target_reached_at
        if reached is None and target is not None and total >= target:
            reached = at
        return Place(total, max(self.reached_at, at), reached)


@dataclass
class History:
    """What daily caps, minimum gaps and the existing-account rule look at: the ledger's
    points under each rule by day and its rule entries' times (as read before the call), the
    entries posted since, and the accounts' won deals."""

    day_points: dict[tuple[int, int, int, datetime], int] = field(default_factory=dict)
    times: dict[RuleKey, list[datetime]] = field(default_factory=dict)
    posted: dict[RuleKey, list[Entry]] = field(default_factory=lambda: defaultdict(list))
    won_deals: Mapping[str, Sequence[tuple[str, datetime | None]]] = field(default_factory=dict)

    def record(self, entry: Entry) -> None:
        """An entry posted under a rule counts for the caps and gaps of later facts."""
        if entry.rule_id is not None:
            self.posted[(entry.challenge_id, entry.user_id, entry.rule_id)].append(entry)

    def used_today(self, board: Board, key: RuleKey, at: datetime) -> int:
        """Points this rule already gave the rep on `at`'s day, in the challenge's time zone."""
        start, end = day_of(board.zone, at)
        posted = sum(e.points for e in self.posted.get(key, ()) if start <= e.occurred_at < end)
        return self.day_points.get((*key, start), 0) + posted

    def too_soon(self, key: RuleKey, at: datetime, gap: timedelta) -> bool:
        """An identical action scored within the gap (before or after) of `at`."""
        after, before = at - gap, at + gap
        if any(after < t < before for t in self.times.get(key, ())):
            return True
        posted = self.posted.get(key, ())
        return any(e.kind == "rule" and after < e.occurred_at < before for e in posted)

    def existing_account(self, fact: Fact) -> bool:
        """The fact's account had won a different deal before: an upsell, not a new logo."""
        if not fact.account:
            return False
        deal = fact.source_ref.removeprefix("deal:")
        return any(
            crm_id != deal and closed_at is not None and closed_at < fact.occurred_at
            for crm_id, closed_at in self.won_deals.get(fact.account, ())
        )

    def copy(self) -> History:
        posted: dict[RuleKey, list[Entry]] = defaultdict(list)
        posted.update({k: list(v) for k, v in self.posted.items()})
        return replace(self, posted=posted)


def rule_entry(board: Board, rule: ScoringRule, fact: Fact, history: History) -> Entry | None:
    """The entry one rule of a challenge posts for a fact of one of its participants, after
    the rule's minimum gap, quota normalisation and daily cap (None: nothing to post)."""
    if not matches(rule, fact):
        return None
    key = (board.challenge_id, fact.rep_id, rule.id)
    if rule.min_gap_minutes and history.too_soon(
        key, fact.occurred_at, timedelta(minutes=rule.min_gap_minutes)
    ):
        return None
    existing = rule.existing_account_multiplier is not None and history.existing_account(fact)
    points = normalised(board, fact.rep_id, rule_points(rule, fact, existing_account=existing))
    if rule.daily_cap is not None:
        points = min(points, rule.daily_cap - history.used_today(board, key, fact.occurred_at))
    if points <= 0:
        return None
    reason = board.reasons.get(rule.id) or what_counts(rule)
    return Entry(
        board.challenge_id, fact.rep_id, points, "rule", reason, fact.occurred_at, rule.id,
        fact.source_ref, fact.raw_event_id,
    )  # fmt: skip


def score_fact(board: Board, fact: Fact, history: History) -> list[Entry]:
    """The entries a fact earns in one challenge its rep counts in, rule by rule; each is
    recorded in `history` before the next rule looks."""
    entries = []
    for rule in board.rules:
        entry = rule_entry(board, rule, fact, history)
        if entry is not None:
            history.record(entry)
            entries.append(entry)
    return entries


@dataclass(frozen=True)
class Outcome:
    """What scoring some facts gives: the entries in posting order, the standings they moved
    (their new places) and the targets reached, as (challenge, user, when)."""

    entries: tuple[Entry, ...]
    standings: dict[Seat, Place]
    completions: tuple[tuple[int, int, datetime], ...]
    history: History


def score_facts(
    facts: Sequence[tuple[Fact, Sequence[int]]],
    boards: Mapping[int, Board],
    standings: Mapping[Seat, Place],
    history: History,
) -> Outcome:
    """Score facts in order, each in the challenges (ids) its rep counts in; `standings` and
    `history` are left as they were (the outcome carries their new values)."""
    history = history.copy()
    places: dict[Seat, Place] = {}
    entries: list[Entry] = []
    completions = []
    for fact, challenge_ids in facts:
        for challenge_id in challenge_ids:
            board = boards[challenge_id]
            for entry in score_fact(board, fact, history):
                seat = (challenge_id, fact.rep_id)
                before = places.get(seat) or standings[seat]
                after = before.moved(entry.points, entry.occurred_at, board.target)
                if before.target_reached_at is None and after.target_reached_at is not None:
                    completions.append((challenge_id, fact.rep_id, entry.occurred_at))
                places[seat] = after
                entries.append(entry)
    return Outcome(tuple(entries), places, tuple(completions), history)


def normalised(board: Board, user_id: int, points: int) -> int:
    """As a share of quota: points per 100 units of quota, so territories compare fairly."""
    quota = None if board.quotas is None else board.quotas.get(user_id)
    if not quota:
        return points
    return int((Decimal(points) * 100 / quota).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def day_of(zone: ZoneInfo, at: datetime) -> tuple[datetime, datetime]:
    """The day `at` falls on in this time zone, as [start, end)."""
    day = at.astimezone(zone).date()
    return datetime.combine(day, time(), zone), datetime.combine(
        day + timedelta(days=1), time(), zone
    )
