"""Who passed whom: the notes a move on a board sends, naming the people and the points.

"Darcel passed you in Call blitz (171 vs 166)" goes to each rep a move passes, and "You passed
Marty in Call blitz (171 vs 166)" to the rep who moved. A rep hears that they were passed once
per call, at the first move that passes them, and only once they have points (on a board tied
at zero, a rep's first points would otherwise tell everyone who has not started yet); the
mover's note names exactly the reps told at that move. A rep who appears anonymised on
leaderboards is named "Anonymous rep" here too, and their user id is left out.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from gameplay.core.changes import Notification, note
from gameplay.core.models import PlayerProfile
from kpi_engine.org.models import User
from kpi_engine.words import N_

ANONYMOUS = N_("Anonymous rep")


@dataclass(frozen=True)
class Pass:
    """One move's news: the mover, their points after it, and the reps it told (user, points)."""

    challenge_id: int
    mover: int
    points: int
    told: tuple[tuple[int, int], ...]


class Passes:
    """The "overtaken" and "passed" notes of one call: moves are noted as they are replayed,
    and written at the end with the names of everyone involved read in one query."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.told: dict[int, set[int]] = {}  # challenge -> reps told in this call
        self._names: dict[int, tuple[str, bool]] = {}  # user -> (name, anonymised)

    def first_news(
        self, challenge_id: int, mover: int, points: int, passed: Iterable[tuple[int, int]]
    ) -> Pass | None:
        """The news of a move of `mover` to `points` past these (user, points): the reps not
        yet told in this call, in user order (None when there are none)."""
        told = self.told.setdefault(challenge_id, set())
        new = sorted({user: theirs for user, theirs in passed if user not in told}.items())
        if not new:
            return None
        told.update(user for user, _ in new)
        return Pass(challenge_id, mover, points, tuple(new))

    def notes(
        self, moves: list[tuple[int, Pass]], names: dict[int, str]
    ) -> list[tuple[int, list[Notification]]]:
        """Each move's notes (with the position they go to): one for each rep it told, then
        the mover's own. `names` are the challenges' names by id."""
        self._learn({u for _, news in moves for u in (news.mover, *(t for t, _ in news.told))})
        return [
            (position, self._written(news, names[news.challenge_id])) for position, news in moves
        ]

    def _written(self, news: Pass, challenge: str) -> list[Notification]:
        told = [self._overtaken(news, challenge, user, theirs) for user, theirs in news.told]
        return [*told, self._passed(news, challenge)]

    def _overtaken(self, news: Pass, challenge: str, user: int, theirs: int) -> Notification:
        name, by_id = self._shown(news.mover)
        data: dict[str, object] = {
            "by_user_id": by_id,
            "by_name": name,
            "points": news.points,
            "their_points": theirs,
        }
        template = N_("%(name)s passed you in %(challenge)s (%(points)s vs %(theirs)s)")
        values = {"name": name, "challenge": challenge, "points": news.points, "theirs": theirs}
        return note(user, "overtaken", template, news.challenge_id, _data(data), **values)

    def _passed(self, news: Pass, challenge: str) -> Notification:
        shown = [self._shown(user) for user, _ in news.told]
        first, theirs = shown[0][0], news.told[0][1]
        one = N_("You passed %(name)s in %(challenge)s (%(points)s vs %(theirs)s)")
        more = N_(
            "You passed %(name)s and %(more)s more in %(challenge)s (%(points)s vs %(theirs)s)"
        )
        template = one if len(shown) == 1 else more
        data = {
            "passed_user_ids": [user_id for _, user_id in shown],
            "passed_names": [name for name, _ in shown],
            "points": news.points,
            "their_points": theirs,
        }
        values = {"name": first, "more": len(shown) - 1, "challenge": challenge}
        values |= {"points": news.points, "theirs": theirs}
        return note(news.mover, "passed", template, news.challenge_id, _data(data), **values)

    def _shown(self, user_id: int) -> tuple[str, int | None]:
        name, anonymised = self._names.get(user_id, (ANONYMOUS, True))
        return (ANONYMOUS, None) if anonymised else (name, user_id)

    def _learn(self, user_ids: set[int]) -> None:
        """Read the names (and whether they hide them) of these reps: one query."""
        unknown = user_ids - set(self._names)
        if not unknown:
            return
        query = (
            select(User.id, User.name, PlayerProfile.anonymised)
            .outerjoin(PlayerProfile, PlayerProfile.user_id == User.id)
            .where(User.id.in_(unknown))
        )
        for user_id, name, anonymised in self.session.execute(query):
            self._names[user_id] = (name, bool(anonymised))


def _data(data: dict[str, object]) -> tuple[tuple[str, object], ...]:
    return tuple(data.items())
