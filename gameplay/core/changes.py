"""What the engine reports after a call: past-tense facts the live layer publishes after commit.

The engine never pushes anything itself. It returns a Changes value; web/realtime.py turns it
into Socket.IO frames once the transaction has committed.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Notification:
    """A personal message for one user; `kind` lets a rep mute a whole kind."""

    user_id: int
    kind: str  # points_earned, mission_completed, badge_earned, level_reached, overtaken, passed,
    # challenge_starting, challenge_ending, proof_reviewed, kpi_alert
    message: str
    challenge_id: int | None = None
    data: tuple[tuple[str, object], ...] = ()
    # The message before it was filled in English, and its values: web/ writes it in the
    # recipient's language (names among the values are translated where the catalogue has them).
    template: str = ""
    values: tuple[tuple[str, object], ...] = ()


def note(
    user_id: int,
    kind: str,
    template: str,
    challenge_id: int | None = None,
    data: tuple[tuple[str, object], ...] = (),
    **values: object,
) -> Notification:
    """A notification whose English message is `template` filled with `values`."""
    message = template % values
    return Notification(user_id, kind, message, challenge_id, data, template, tuple(values.items()))


@dataclass(frozen=True)
class Moment:
    """Something a wall screen interrupts its playlist to celebrate: a new leader, a big deal;
    or that the reps watching a board celebrate: a deal won on it.

    `wall_id` is the challenge whose wall-screen links open that wall (for a "board" moment:
    the challenge whose board it is)."""

    wall_id: int
    kind: str  # lead, big_deal (walls); deal_won, finale (boards)
    title: str
    line: str
    audience: str = "wall"  # wall: the wall screens; board: the reps watching the board
    # What the title and line are made of, for a screen that writes them in its own language.
    values: tuple[tuple[str, object], ...] = ()


@dataclass(frozen=True)
class MovedRow:
    """A participant's row as a write left it: what a board frame shows, without a re-read."""

    participant_id: int
    user_id: int
    points: int
    rank: int


@dataclass(frozen=True)
class BoardMove:
    """A board after one write: its version (assigned by the database in the writing
    transaction, unique and increasing) and the rows the write moved, with points and ranks."""

    challenge_id: int
    version: int
    rows: tuple[MovedRow, ...]

    def then(self, later: BoardMove) -> BoardMove:
        """This move and another of the same board as one: the higher version's rows win."""
        first, last = sorted((self, later), key=lambda m: m.version)
        merged = {row.participant_id: row for row in (*first.rows, *last.rows)}
        return BoardMove(self.challenge_id, last.version, tuple(merged.values()))


@dataclass
class Changes:
    """An ordered collection of facts; merging two keeps both, publishing coalesces them."""

    standings: dict[int, set[int]] = field(default_factory=dict)
    notifications: list[Notification] = field(default_factory=list)
    moments: list[Moment] = field(default_factory=list)
    boards: dict[int, BoardMove] = field(default_factory=dict)  # challenge id -> latest move

    def standings_changed(self, challenge_id: int, user_ids: set[int] | None = None) -> None:
        self.standings.setdefault(challenge_id, set()).update(user_ids or set())

    def board_moved(self, move: BoardMove) -> None:
        """A write gave a board a new version; its rows join those of earlier writes."""
        earlier = self.boards.get(move.challenge_id)
        self.boards[move.challenge_id] = move if earlier is None else earlier.then(move)

    def notify(self, notification: Notification) -> None:
        self.notifications.append(notification)

    def merge(self, other: Changes) -> Changes:
        for challenge_id, users in other.standings.items():
            self.standings_changed(challenge_id, users)
        self.notifications.extend(other.notifications)
        self.moments.extend(other.moments)
        for move in other.boards.values():
            self.board_moved(move)
        return self

    def __bool__(self) -> bool:
        return bool(self.standings or self.notifications or self.moments or self.boards)
