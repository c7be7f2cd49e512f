"""Applying sales facts to the challenges they fall in: rules (with caps and gaps), missions,
and the undoing of a fact (a won deal lost or reopened) by reversing entries.

A Scoring serves one call of the engine. It first reads, in a few queries, what the call's
facts will look at (the reps' standings and mission progress, the entries caps and gaps count,
the earlier won deals of the same accounts); then scores fact by fact, in arrival order, in
memory; and writes once when it closes (see ledger.py and standings.py).
"""

from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload, selectinload

from gameplay.core.changes import Changes
from gameplay.core.enrollment import enrol, in_audience
from gameplay.core.models import Challenge, PlayerProfile, ScoringRule
from gameplay.core.standings import Standing
from gameplay.scoring.badges import BadgeBook
from gameplay.scoring.core import Board, day_of, rule_entry
from gameplay.scoring.ledger import Ledger, Posting
from gameplay.scoring.missions import MissionBook, advance_missions
from gameplay.scoring.persist import ENTRIES, insert_counted, reverse_counted
from gameplay.scoring.profiles import new_profile
from gameplay.scoring.rules import Fact, matches
from kpi_engine.org.models import User
from kpi_engine.sales.models import Deal

Plan = Sequence[tuple[Collection[Challenge], Fact]]  # each fact, the challenges open for it
RuleKey = tuple[int, int, int]  # challenge, user, rule


def live_challenges(session: Session, *, with_terms: bool = False) -> list[Challenge]:
    """Launched, not cancelled, not yet finalised challenges (lock_challenges reads the rules
    and missions of those a batch writes to; `with_terms` reads them here, fresh)."""
    query = select(Challenge).where(
        Challenge.launched_at.isnot(None),
        Challenge.cancelled_at.is_(None),
        Challenge.finalized_at.is_(None),
    )
    if not with_terms:
        return list(session.scalars(query.order_by(Challenge.id)))
    # The rules in the same statement (a few per challenge), the missions in a second.
    query = query.options(joinedload(Challenge.rules), selectinload(Challenge.missions))
    query = query.execution_options(populate_existing=True)
    return list(session.scalars(query.order_by(Challenge.id)).unique())


def writes_alone(session: Session) -> bool:
    """Whether this session's transaction already excludes every other writer: on SQLite it
    began IMMEDIATE (kpi_engine.db), so what it reads stays true until it ends."""
    return session.get_bind().dialect.name == "sqlite"


def lock_challenges(session: Session, challenges: Iterable[Challenge]) -> None:
    """Lock these challenges' rows in id order until the transaction ends, and re-read them
    with their rules and missions.

    Standings are read, added to and written back, so two writers scoring the same challenge
    must take turns (on PostgreSQL; SQLite's BEGIN IMMEDIATE already serialises writers)."""
    ids = sorted({c.id for c in challenges})
    if ids:
        query = select(Challenge).where(Challenge.id.in_(ids)).order_by(Challenge.id)
        query = query.options(selectinload(Challenge.rules), selectinload(Challenge.missions))
        session.scalars(query.with_for_update().execution_options(populate_existing=True)).all()


def open_at(challenges: list[Challenge], at: datetime) -> list[Challenge]:
    """Those of these challenges whose window contains `at`."""
    return [c for c in challenges if c.starts_at <= at < c.ends_at]


class OpenChallenges:
    """Which of some challenges are open at a moment, for many moments: the windows' edges cut
    time into spans in each of which the same challenges are open."""

    def __init__(self, challenges: list[Challenge]) -> None:
        self.challenges = challenges
        self.edges = sorted({c.starts_at for c in challenges} | {c.ends_at for c in challenges})
        self.spans: dict[int, frozenset[Challenge]] = {}

    def at(self, moment: datetime) -> frozenset[Challenge]:
        span = bisect_right(self.edges, moment)
        if span not in self.spans:
            self.spans[span] = frozenset(open_at(self.challenges, moment))
        return self.spans[span]


def score_fact(
    session: Session,
    challenges: Collection[Challenge],
    fact: Fact,
    *,
    now: datetime,
    changes: Changes,
) -> None:
    """Count one fact in the challenges its rep takes part in; written before it returns."""
    scoring = Scoring(session, now=now, changes=changes)
    scoring.prepare([(challenges, fact)])
    scoring.score(challenges, fact)
    scoring.close()


class Scoring:
    """One call's scoring: `prepare` with every fact it will score, then `score` and `undo`
    in arrival order, then `close` to write."""

    def __init__(
        self,
        session: Session,
        *,
        now: datetime,
        changes: Changes,
        replay: bool = False,
        users: Mapping[int, User] | None = None,
    ) -> None:
        self.session, self.now = session, now
        self.ledger = Ledger(session, now=now, changes=changes, replay=replay)
        self.badges = BadgeBook(session, now=now, changes=changes)
        self.missions = MissionBook(self.ledger, self.badges)
        self.history = RuleHistory(session, self.ledger)
        self.users: dict[int, User] = dict(users or {})  # the reps, as the ingest resolved them
        self.counted: list[dict[str, Any]] = []
        self.profiles: dict[int, PlayerProfile] = {}  # held: postings find them in the session
        self.boards: dict[int, Board] = {}  # the scoring core's view of each challenge
        self.challenges: dict[int, Challenge] = {}
        self.playing: dict[int, list[Challenge]] = {}  # rep -> where they count, by id

    def prepare(self, plan: Plan) -> None:
        """Read what scoring these facts will look at, a few queries for all of them."""
        challenges = {c for group, _ in plan for c in group}
        reps = {fact.rep_id for _, fact in plan}
        if not challenges or not reps:
            return
        self.ledger.standings.load({c.id for c in challenges}, reps)
        self.users |= self._reps(reps)
        self.playing = self._who_plays(challenges, reps)
        counted = [(self._taking_part(group, f), f) for group, f in plan]
        self._load_missions(counted)
        self._load_profiles({fact.rep_id for group, fact in counted if group})
        self.history.load(counted)
        self._load_won_deals(counted)

    def _taking_part(self, challenges: Collection[Challenge], fact: Fact) -> list[Challenge]:
        """Those of these challenges the fact's rep counts in, in id order: not those whose
        audience they had left (moved team, say) by the time of the fact."""
        return [
            c
            for c in self.playing.get(fact.rep_id, ())
            if c in challenges and self._counts(c, fact)
        ]

    def _counts(self, challenge: Challenge, fact: Fact) -> bool:
        standing = self.ledger.standings.of(challenge.id, fact.rep_id)
        return standing is None or standing.counts(fact.occurred_at)

    def _load_missions(self, plan: Plan) -> None:
        """Progress and held badges where a fact advances an automatic mission."""
        challenges = {c for group, _ in plan for c in group}
        missions = {c: [m for m in c.missions if not m.manual] for c in challenges}
        advanced = {
            (challenge, fact.rep_id)
            for group, fact in plan
            for challenge in group
            if any(matches(m, fact) for m in missions[challenge])
        }
        reps = {rep for _, rep in advanced}
        self.missions.load({m.id for c, _ in advanced for m in c.missions}, reps)
        self.badges.load(reps, {f"challenge:{c.id}" for c, _ in advanced})

    def _reps(self, reps: set[int]) -> dict[int, User]:
        """The reps as users: those the ingest resolved are known already (a rep is resolved
        once per request); only the others are read, in one query."""
        users = {rep: self.users[rep] for rep in reps if rep in self.users}
        missing = reps - users.keys()
        if missing:
            users |= {
                u.id: u for u in self.session.scalars(select(User).where(User.id.in_(missing)))
            }
        return users

    def _load_profiles(self, reps: set[int]) -> None:
        """Each rep's game profile, read in one query (and made for those who have none yet):
        a query while scoring would first flush everything the scoring changed so far."""
        query = select(PlayerProfile).where(PlayerProfile.user_id.in_(reps))
        self.profiles |= {p.user_id: p for p in self.session.scalars(query)}
        for rep in reps - self.profiles.keys():
            self.profiles[rep] = new_profile(self.session, rep)

    def _who_plays(
        self, challenges: Iterable[Challenge], reps: set[int]
    ) -> dict[int, list[Challenge]]:
        """For each rep, the challenges among these they take part in or join automatically
        (a rep added to the audience after launch: a new hire, say), in id order."""
        by_id = {c.id: c for c in challenges}
        playing = {
            rep: {by_id[c] for c in self.ledger.standings.challenges_of(rep) if c in by_id}
            for rep in reps
        }
        users = {rep: self.users[rep] for rep in reps if rep in self.users}
        by_team: dict[int | None, list[User]] = defaultdict(list)
        for user in users.values():
            by_team[user.team_id].append(user)
        for challenge in by_id.values():
            if challenge.enrolment != "auto":
                continue
            audience = challenge.audience or {}
            # Who can be in the audience at all: its named users, and the members of its teams
            # (everyone when it names none); in_audience decides.
            teams = audience.get("team_ids", [])
            candidates = [users[u] for u in audience.get("user_ids", []) if u in users]
            candidates += [u for t in teams for u in by_team[t]] if teams else users.values()
            for user in candidates:
                if challenge not in playing[user.id] and _joins_automatically(challenge, user):
                    playing[user.id].add(challenge)
        return {rep: sorted(group, key=lambda c: c.id) for rep, group in playing.items()}

    def score(self, challenges: Collection[Challenge], fact: Fact) -> None:
        """Count a fact in each of these challenges its rep takes part in (or is enrolled in)."""
        taking_part = [
            (c, self._standing(c, fact.rep_id)) for c in self._taking_part(challenges, fact)
        ]
        for challenge, standing in taking_part:
            if fact.type == "deal_won":
                # Kept to undo the fact exactly should the deal be lost or reopened; an
                # activity is never taken back, so it is not kept.
                self.counted.append(_counted(challenge, fact))
            board = self._board(challenge)
            for rule in board.rules:
                self._apply_rule(board, standing, rule, fact)
            advance_missions(self.missions, challenge, standing, fact, sign=1)

    def undo(self, source_ref: str, *, at: datetime) -> None:
        """Reverse the points and mission progress a fact earned in every challenge still open."""
        if any(row["source_ref"] == source_ref for row in self.counted):
            self._write_counted()
        for row in reverse_counted(self.session, source_ref, self.now):
            challenge = self.session.get_one(Challenge, row.challenge_id)
            standing = self.ledger.standings.of(row.challenge_id, row.user_id)
            assert standing is not None, "the query joins the participant"
            self.ledger.reverse(challenge, standing, source_ref, at)
            fact = Fact.from_json(row.fact)
            advance_missions(self.missions, challenge, standing, fact, sign=-1)

    def close(self) -> None:
        """Write what the scoring posted: counted facts, ledger entries, standings."""
        self._write_counted()
        self.ledger.close()

    def _write_counted(self) -> None:
        insert_counted(self.session, self.counted)
        self.counted = []

    def _board(self, challenge: Challenge) -> Board:
        if challenge.id not in self.boards:
            self.boards[challenge.id] = Board.of(challenge)
            self.challenges[challenge.id] = challenge
        return self.boards[challenge.id]

    def _standing(self, challenge: Challenge, user_id: int) -> Standing:
        standing = self.ledger.standings.of(challenge.id, user_id)
        if standing is None:
            participant = enrol(self.session, challenge, self.users[user_id], now=self.now)
            standing = self.ledger.standings.join(challenge, participant)
        return standing

    def _apply_rule(self, board: Board, standing: Standing, rule: ScoringRule, fact: Fact) -> None:
        """Post what the scoring core says this rule earns for the fact."""
        entry = rule_entry(board, rule, fact, self.ledger.history)
        if entry is None:
            return
        posting = Posting(
            "rule",
            entry.reason,
            fact.occurred_at,
            rule_id=rule.id,
            source_ref=fact.source_ref,
            raw_event_id=fact.raw_event_id,
        )
        self.ledger.post(self.challenges[board.challenge_id], standing, entry.points, posting)

    def _load_won_deals(self, plan: Plan) -> None:
        """The won deals of the accounts these facts sell to, for the existing-account rule."""
        rules = [r for group, _ in plan for c in group for r in c.rules]
        accounts = {f.account for _, f in plan if f.type == "deal_won" and f.account}
        if not accounts or all(r.existing_account_multiplier is None for r in rules):
            return
        query = select(Deal.account, Deal.crm_id, Deal.closed_at).where(
            Deal.account.in_(accounts), Deal.status == "won"
        )
        won: dict[str, list[tuple[str, datetime | None]]] = defaultdict(list)
        for account, crm_id, closed_at in self.session.execute(query):
            won[account or ""].append((crm_id, closed_at))
        self.ledger.history.won_deals = won


class RuleHistory:
    """Reads what caps and gaps count into the call's History (scoring.core): the rep's
    entries under each capped rule on the facts' days, and near the facts' times under each
    rule with a gap, once for all the call's facts."""

    def __init__(self, session: Session, ledger: Ledger) -> None:
        self.session, self.history = session, ledger.history

    def load(self, plan: Plan) -> None:
        days: dict[tuple[datetime, datetime], set[RuleKey]] = defaultdict(set)
        near: dict[RuleKey, list[datetime]] = defaultdict(list)
        widest = timedelta(0)
        limited = {c: _limited_rules(c) for c in {c for group, _ in plan for c in group}}
        for challenges, fact in plan:
            for challenge in challenges:
                challenge_id, zone, rules = limited[challenge]
                for rule, rule_id, capped, gap in rules:
                    if not matches(rule, fact):
                        continue
                    key = (challenge_id, fact.rep_id, rule_id)
                    if capped:
                        days[day_of(zone, fact.occurred_at)].add(key)
                    if gap:
                        near[key].append(fact.occurred_at)
                        widest = max(widest, gap)
        for (start, end), keys in days.items():
            self._load_day(start, end, keys)
        if near:
            self._load_times(near, widest)

    def _load_day(self, start: datetime, end: datetime, keys: set[RuleKey]) -> None:
        e = ENTRIES
        query = (
            select(e.c.challenge_id, e.c.user_id, e.c.rule_id, func.sum(e.c.points))
            .where(*_among(keys), e.c.occurred_at >= start, e.c.occurred_at < end)
            .group_by(e.c.challenge_id, e.c.user_id, e.c.rule_id)
        )
        totals = {(c, u, r): int(total or 0) for c, u, r, total in self.session.execute(query)}
        for key in keys:
            self.history.day_points[(*key, start)] = totals.get(key, 0)

    def _load_times(self, near: dict[RuleKey, list[datetime]], gap: timedelta) -> None:
        e = ENTRIES
        moments = [at for times in near.values() for at in times]
        query = select(e.c.challenge_id, e.c.user_id, e.c.rule_id, e.c.occurred_at).where(
            *_among(near),
            e.c.kind == "rule",
            e.c.occurred_at > min(moments) - gap,
            e.c.occurred_at < max(moments) + gap,
        )
        times = self.history.times
        for key in near:
            times.setdefault(key, [])
        for c, u, r, at in self.session.execute(query):
            if (c, u, r) in times:
                times[(c, u, r)].append(at)


def _among(keys: Iterable[RuleKey]) -> list[Any]:
    """Conditions for the ledger entries of these (challenge, user, rule) triples (a superset:
    each column among its values)."""
    challenges, users, rules = (set(column) for column in zip(*keys, strict=True))
    e = ENTRIES
    return [e.c.challenge_id.in_(challenges), e.c.user_id.in_(users), e.c.rule_id.in_(rules)]


def _limited_rules(
    challenge: Challenge,
) -> tuple[int, ZoneInfo, list[tuple[ScoringRule, int, bool, timedelta | None]]]:
    """A challenge's id, time zone and rules with a daily cap or a minimum gap (rule, id, capped,
    gap), read off the objects once."""
    rules = [
        (
            r,
            r.id,
            r.daily_cap is not None,
            timedelta(minutes=r.min_gap_minutes) if r.min_gap_minutes else None,
        )
        for r in challenge.rules
        if r.daily_cap is not None or r.min_gap_minutes
    ]
    return challenge.id, ZoneInfo(challenge.timezone), rules


def _counted(challenge: Challenge, fact: Fact) -> dict[str, Any]:
    return {
        "challenge_id": challenge.id,
        "user_id": fact.rep_id,
        "source_ref": fact.source_ref,
        "fact": fact.as_json(),
        "occurred_at": fact.occurred_at,
        "reversed_at": None,
    }


def _joins_automatically(challenge: Challenge, user: User) -> bool:
    """A rep who joined the audience after launch (a new hire) enters an auto challenge."""
    eligible = user.app_role == "rep" and user.active
    return eligible and challenge.enrolment == "auto" and in_audience(challenge, user)
