"""Standings kept on every ledger entry: points, when they were reached, and the rank.

Competition ranking (ties share a rank) is materialised. A call of the engine moves standings
in memory, in the order its entries are posted, and writes each challenge once when it
settles: the movers' rows, and the ranks of the reps whose points lie between where the movers
started and where they ended, one range UPDATE per step of that change — what the moves cost,
never a re-sum of the history. Who was passed at each move (for the live layer and the
"overtaken" notes) comes from one read of the rows in that range.
"""

from __future__ import annotations

import itertools
from bisect import bisect_left, bisect_right, insort
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from gameplay.core.changes import BoardMove, Changes, MovedRow, Notification
from gameplay.core.models import Challenge, Participant
from gameplay.core.passes import Pass, Passes
from kpi_engine.db import table_of

PARTICIPANTS = table_of(Participant)


@dataclass(eq=False)
class Standing:
    """A participant's standing as this call moves it (one object per participant)."""

    id: int
    challenge_id: int
    user_id: int
    points: int
    reached_at: datetime
    target_reached_at: datetime | None
    rank: int
    left_at: datetime | None = None
    entered_at: datetime | None = None

    def counts(self, occurred_at: datetime) -> bool:
        """Whether a fact of that moment counts here: one made while they were in the audience
        (Participant.entered_at, left_at), wherever it arrives from and however late."""
        entered = self.entered_at is None or occurred_at >= self.entered_at
        return entered and (self.left_at is None or occurred_at < self.left_at)


@dataclass
class _Board:
    """One challenge's moves in this call, in order: (standing, points or None for a join,
    where the move's notes go among the call's notifications)."""

    challenge: Challenge
    moves: list[tuple[Standing, int | None, int]] = field(default_factory=list)
    start: dict[Standing, int] = field(default_factory=dict)  # points before the first move
    joined: set[Standing] = field(default_factory=set)

    def span(self) -> tuple[int, int]:
        """The lowest and highest points any mover held during the call."""
        points = dict(self.start)
        held = set(points.values())
        for standing, delta, _ in self.moves:
            points[standing] += delta or 0
            held.add(points[standing])
        return min(held), max(held)


class Standings:
    """The standings one call moves: read once per rep and challenge, written once per
    challenge when the call settles."""

    def __init__(self, session: Session, changes: Changes, *, replay: bool = False) -> None:
        # A replay (a rebuild, which ranks every board afresh at its end): settle writes the
        # movers' points only, and reports no ranks, passes or board moves.
        self.session, self.changes, self.replay = session, changes, replay
        self._rows: dict[tuple[int, int], Standing] = {}
        self._read: list[tuple[set[int], set[int]]] = []  # the (challenges, users) read so far
        self._taking_part: dict[int, set[int]] = defaultdict(set)  # user -> challenges
        self._boards: dict[int, _Board] = {}

    def load(self, challenge_ids: Iterable[int], user_ids: Iterable[int]) -> None:
        """Read the standings of these reps in these challenges, in one query."""
        challenges, users = set(challenge_ids), set(user_ids)
        if not challenges or not users:
            return
        t = PARTICIPANTS
        query = select(
            t.c.id, t.c.challenge_id, t.c.user_id, t.c.points, t.c.reached_at,
            t.c.target_reached_at, t.c.rank, t.c.left_at, t.c.entered_at,
        ).where(t.c.challenge_id.in_(challenges), t.c.user_id.in_(users))  # fmt: skip
        for row in self.session.execute(query):
            self._rows.setdefault((row.challenge_id, row.user_id), Standing(*row))
            self._taking_part[row.user_id].add(row.challenge_id)
        self._read.append((challenges, users))

    def of(self, challenge_id: int, user_id: int) -> Standing | None:
        """The rep's standing in a challenge (None when they do not take part)."""
        key = (challenge_id, user_id)
        if key not in self._rows and not any(
            challenge_id in challenges and user_id in users for challenges, users in self._read
        ):
            self.load([challenge_id], [user_id])
        return self._rows.get(key)

    def challenges_of(self, user_id: int) -> set[int]:
        """The challenges read so far in which the rep takes part."""
        return set(self._taking_part[user_id])

    def join(self, challenge: Challenge, participant: Participant) -> Standing:
        """A participant enrolled during this call: on the board from now on, with 0 points."""
        standing = Standing(
            participant.id, challenge.id, participant.user_id, 0, participant.reached_at, None, 1
        )
        self._rows[(challenge.id, participant.user_id)] = standing
        self._taking_part[participant.user_id].add(challenge.id)
        board = self._board(challenge)
        board.start[standing] = 0
        board.joined.add(standing)
        board.moves.append((standing, None, len(self.changes.notifications)))
        return standing

    def move(
        self, challenge: Challenge, standing: Standing, delta: int, occurred_at: datetime
    ) -> None:
        """Add points to a participant (ranks and the board's version: at settle)."""
        board = self._board(challenge)
        board.start.setdefault(standing, standing.points)
        board.moves.append((standing, delta, len(self.changes.notifications)))
        standing.points += delta
        standing.reached_at = max(standing.reached_at, occurred_at)
        reached = challenge.target is not None and standing.points >= challenge.target
        if reached and standing.target_reached_at is None:
            standing.target_reached_at = occurred_at

    def settle(self) -> None:
        """Write every challenge moved since the last settle, give each a new version, and
        report who moved, in order, with the rows as the write left them."""
        if self.replay:
            self._settle_points()
            return
        news: list[tuple[int, Pass]] = []
        passes = Passes(self.session)
        shifts: list[dict[str, int]] = []
        changed: set[int] = set()
        shifted: dict[int, list[MovedRow]] = {}
        for board in self._boards.values():
            low, high = board.span()
            rows = _Rows(self.session, board.challenge.id, low, high, {s.id for s in board.start})
            news += _replay(passes, board, rows, self.changes)
            steps = _rank_steps(
                board.challenge.id, board.start.values(), [s.points for s in board.start]
            )
            shifts += [step for step in steps if rows.any_within(step)]  # others to move
            shifted[board.challenge.id] = rows.shifted(steps)
            changed |= {row.participant_id for row in shifted[board.challenge.id]}
        boards = list(self._boards.values())
        moved = [s for board in boards for s in board.start]
        names = {board.challenge.id: board.challenge.name for board in boards}
        self._boards.clear()
        # The shifts first: they move the movers' rows too, which the second statement sets.
        if shifts:
            self.session.execute(_SHIFT, shifts)
        if moved:
            self.session.execute(_MOVE, [_moved(s) for s in moved])
        versions = bump_versions(self.session, [board.challenge for board in boards])
        for board in boards:
            movers = [MovedRow(s.id, s.user_id, s.points, s.rank) for s in board.start]
            after = tuple(shifted[board.challenge.id] + movers)
            self.changes.board_moved(
                BoardMove(board.challenge.id, versions[board.challenge.id], after)
            )
        if news:
            _insert_at(self.changes.notifications, passes.notes(news, names))
        self._expire(changed | {s.id for s in moved})

    def _settle_points(self) -> None:
        moved = [s for board in self._boards.values() for s in board.start]
        self._boards.clear()
        if moved:
            self.session.execute(_MOVE, [_moved(s) for s in moved])
        self._expire({s.id for s in moved})

    def _expire(self, changed: set[int]) -> None:
        """Rows changed by Core statements are stale in the session: reload them on next use."""
        for state in self.session.identity_map.all_states():
            participant, key = state.obj(), state.identity  # the key, without loading the row
            if isinstance(participant, Participant) and key is not None and key[0] in changed:
                self.session.expire(
                    participant, ["points", "reached_at", "target_reached_at", "rank"]
                )

    def _board(self, challenge: Challenge) -> _Board:
        if challenge.id not in self._boards:
            self._boards[challenge.id] = _Board(challenge)
        return self._boards[challenge.id]


_P = PARTICIPANTS
_RANGE = (
    select(_P.c.points, _P.c.user_id, _P.c.id, _P.c.rank)
    .where(
        _P.c.challenge_id == bindparam("challenge"),
        _P.c.points.between(bindparam("low"), bindparam("high")),
    )
    .order_by(_P.c.points)
)
_ABOVE = select(func.count()).where(
    _P.c.challenge_id == bindparam("challenge"), _P.c.points > bindparam("high")
)
_SHIFT = (
    update(_P)
    .where(
        _P.c.challenge_id == bindparam("challenge"),
        _P.c.points >= bindparam("lower"),
        _P.c.points < bindparam("upper"),
    )
    .values(rank=_P.c.rank + bindparam("d"))
)
_MOVE = update(_P).where(_P.c.id == bindparam("standing_id"))


def _moved(s: Standing) -> dict[str, object]:
    return {"standing_id": s.id, "points": s.points, "reached_at": s.reached_at,
            "target_reached_at": s.target_reached_at, "rank": s.rank}  # fmt: skip


def _rank_steps(
    challenge_id: int, start: Iterable[int], final: Iterable[int]
) -> list[dict[str, int]]:
    """How the movers shift the ranks of the others: (lower, upper, d) spans of points.

    Whatever path a mover took, a rep at q ends one place lower if the mover started at or
    below q and ended above it, one place higher if the reverse: the change is
    #(final > q) - #(start > q), constant between consecutive start and final values."""
    starts, finals = sorted(start), sorted(final)
    bounds = sorted({*starts, *finals})
    steps = []
    for lower, upper in itertools.pairwise(bounds):
        above_now = len(finals) - bisect_right(finals, lower)
        delta = above_now - (len(starts) - bisect_right(starts, lower))
        if delta:
            steps.append({"challenge": challenge_id, "d": delta, "lower": lower, "upper": upper})
    return steps


class _Rows:
    """The participants of a challenge between two point values that this call did not move,
    sorted by points, and how many stand above that range."""

    def __init__(
        self, session: Session, challenge_id: int, low: int, high: int, moved: set[int]
    ) -> None:
        self.session, self.challenge_id, self.high = session, challenge_id, high
        found = session.execute(_RANGE, {"challenge": challenge_id, "low": low, "high": high})
        rows = [row for row in found if row.id not in moved]
        self.points = [row.points for row in rows]
        self.users = [row.user_id for row in rows]
        self.ids = [row.id for row in rows]
        self.ranks = [row.rank for row in rows]
        self.above_high: int | None = None  # read only for a rep who joins during the call

    def above(self, value: int) -> int:
        """How many of these rows, and of those above the range, have more than `value`."""
        if self.above_high is None:
            above = {"challenge": self.challenge_id, "high": self.high}
            self.above_high = self.session.scalar(_ABOVE, above) or 0
        return self.above_high + len(self.points) - bisect_right(self.points, value)

    def between(self, low: int, high: int) -> tuple[list[int], list[tuple[int, int]], int]:
        """The users at [low, high) (a move across them passes them), those of them who had
        scored (with their points), and how many stand in (low, high] (the places the mover
        changes)."""
        start, end = bisect_left(self.points, low), bisect_left(self.points, high)
        first_scored = max(start, bisect_right(self.points, 0))
        scored = list(zip(self.users[first_scored:end], self.points[first_scored:end], strict=True))
        places = bisect_right(self.points, high) - bisect_right(self.points, low)
        return self.users[start:end], scored, places

    def any_within(self, step: dict[str, int]) -> bool:
        """Whether any of these rows lies in the span of points a step shifts (if none does,
        only movers are there, and their rows are written whole)."""
        first = bisect_left(self.points, step["lower"])
        return first < len(self.points) and self.points[first] < step["upper"]

    def shifted(self, steps: list[dict[str, int]]) -> list[MovedRow]:
        """These rows in the spans of points the steps shift, as the shift leaves them."""
        return [
            MovedRow(self.ids[i], self.users[i], self.points[i], self.ranks[i] + step["d"])
            for step in steps
            for i in range(
                bisect_left(self.points, step["lower"]), bisect_left(self.points, step["upper"])
            )
        ]


def _replay(passes: Passes, board: _Board, rows: _Rows, changes: Changes) -> list[tuple[int, Pass]]:
    """Replay the moves in order as one rank shift each: set the movers' ranks, report whom
    the moves passed, and make each move's "overtaken" and "passed" notes (with the position
    they go to)."""
    challenge = board.challenge
    points = dict(board.start)
    by_id = {s.id: s for s in board.start}
    # The movers on the board so far, as (points, id), sorted; the others are in `rows`.
    present = sorted((p, s.id) for s, p in board.start.items() if s not in board.joined)
    moved: set[int] = set()
    notes: list[tuple[int, Pass]] = []
    for standing, delta, position in board.moves:
        if delta is None:
            ahead = len(present) - bisect_left(present, (1, 0))
            standing.rank = 1 + rows.above(0) + ahead
            insort(present, (0, standing.id))
            continue
        old = points[standing]
        new = points[standing] = old + delta
        present.remove((old, standing.id))
        moved.add(standing.user_id)
        if delta:
            low, high = min(old, new), max(old, new)
            passed, scored, places = rows.between(low, high)
            step = 1 if new > old else -1
            crossed = present[bisect_left(present, (low, 0)) : bisect_left(present, (high + 1, 0))]
            for other_points, other_id in crossed:
                other = by_id[other_id]
                if other_points < high:
                    other.rank += step
                    passed.append(other.user_id)
                    if other_points > 0:
                        scored.append((other.user_id, other_points))
                if other_points > low:
                    places += 1
            standing.rank += -places if new > old else places
            moved.update(passed)
            if delta > 0 and (
                told := passes.first_news(challenge.id, standing.user_id, new, scored)
            ):
                notes.append((position, told))
        insort(present, (new, standing.id))
    if moved:
        changes.standings_changed(challenge.id, moved)
    return notes


def _insert_at(
    notifications: list[Notification], notes: list[tuple[int, list[Notification]]]
) -> None:
    """Put each move's notes before the notification that was at its position when it moved."""
    notes.sort(key=lambda pair: pair[0])
    merged: list[Notification] = []
    done = 0
    for position, group in notes:
        merged += notifications[done:position]
        merged += group
        done = position
    notifications[:] = merged + notifications[done:]


def bump_versions(session: Session, challenges: Iterable[Challenge]) -> dict[int, int]:
    """Give each of these boards its next version, by the database in the writing transaction
    (unique and increasing whoever writes: writers of a board hold its row's lock); returns
    them by challenge id, and the challenges in the session show them."""
    by_id = {c.id: c for c in challenges}
    if not by_id:
        return {}
    query = (
        update(Challenge)
        .where(Challenge.id.in_(sorted(by_id)))
        .values(version=Challenge.version + 1)
        .returning(Challenge.id, Challenge.version)
        .execution_options(synchronize_session=False)
    )
    with session.execute(query) as result:  # closed: SQLite keeps a RETURNING open until then
        versions: dict[int, int] = dict(result.all())
    for challenge_id, version in versions.items():
        set_committed_value(by_id[challenge_id], "version", version)
    return versions


def place_newcomer(session: Session, challenge: Challenge, participant: Participant) -> None:
    """Give a participant joining with no points their rank; nobody else moves."""
    participant.points = 0
    participant.reached_at = challenge.starts_at
    session.flush()
    participant.rank = 1 + _count_above(session, challenge.id, 0)


def _count_above(session: Session, challenge_id: int, points: int) -> int:
    query = select(func.count()).where(
        Participant.challenge_id == challenge_id, Participant.points > points
    )
    return session.scalar(query) or 0


def recompute_ranks(session: Session, challenge_id: int) -> None:
    """Set every participant's rank from scratch (used by rebuild and to check the shortcut):
    one UPDATE from RANK() over the board, writing only the ranks that differ; participants
    already in the session show the new ranks."""
    ranked = (
        select(
            Participant.id,
            func.rank().over(order_by=Participant.points.desc()).label("rank"),
        )
        .where(Participant.challenge_id == challenge_id)
        .subquery()
    )
    query = (
        update(Participant)
        .where(Participant.id == ranked.c.id, Participant.rank.is_distinct_from(ranked.c.rank))
        .values(rank=ranked.c.rank)
        .execution_options(synchronize_session="fetch")
    )
    session.execute(query)
