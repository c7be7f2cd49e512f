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

from sqlalchemy import select
from sqlalchemy.orm import Session

from gameplay.core.changes import Notification
from gameplay.core.models import Challenge, PlayerProfile
from kpi_engine.org.models import User

ANONYMOUS = "Anonymous rep"


class Passes:
    """The "overtaken" and "passed" notes of one challenge in one call."""

    def __init__(self, session: Session, challenge: Challenge) -> None:
        self.session, self.challenge = session, challenge
        self.told: set[int] = set()
        self._names: dict[int, tuple[str, bool]] = {}  # user -> (name, anonymised)

    def first_news(
        self, mover: int, points: int, passed: Iterable[tuple[int, int]]
    ) -> list[Notification]:
        """Notes for a move of `mover` to `points` past these (user, points): one for each rep
        not yet told in this call, in user order, then the mover's own note."""
        new = sorted({user: theirs for user, theirs in passed if user not in self.told}.items())
        if not new:
            return []
        self.told.update(user for user, _ in new)
        self._learn([mover, *(user for user, _ in new)])
        notes = [self._overtaken(user, mover, points, theirs) for user, theirs in new]
        return [*notes, self._passed(mover, points, new)]

    def _overtaken(self, user: int, mover: int, points: int, theirs: int) -> Notification:
        name, by_id = self._shown(mover)
        message = f"{name} passed you in {self.challenge.name} ({points} vs {theirs})"
        data: dict[str, object] = {"by_user_id": by_id, "by_name": name, "points": points}
        data["their_points"] = theirs
        return self._note(user, "overtaken", message, data)

    def _passed(self, mover: int, points: int, new: list[tuple[int, int]]) -> Notification:
        shown = [self._shown(user) for user, _ in new]
        first, theirs = shown[0][0], new[0][1]
        who = first if len(new) == 1 else f"{first} and {len(new) - 1} more"
        message = f"You passed {who} in {self.challenge.name} ({points} vs {theirs})"
        data: dict[str, object] = {
            "passed_user_ids": [user_id for _, user_id in shown],
            "passed_names": [name for name, _ in shown],
            "points": points,
            "their_points": theirs,
        }
        return self._note(mover, "passed", message, data)

    def _note(self, user: int, kind: str, message: str, data: dict[str, object]) -> Notification:
        return Notification(user, kind, message, self.challenge.id, tuple(data.items()))

    def _shown(self, user_id: int) -> tuple[str, int | None]:
        name, anonymised = self._names.get(user_id, (ANONYMOUS, True))
        return (ANONYMOUS, None) if anonymised else (name, user_id)

    def _learn(self, user_ids: list[int]) -> None:
        """Read the names (and whether they hide them) of the reps not seen yet: one query."""
        unknown = set(user_ids) - set(self._names)
        if not unknown:
            return
        query = (
            select(User.id, User.name, PlayerProfile.anonymised)
            .outerjoin(PlayerProfile, PlayerProfile.user_id == User.id)
            .where(User.id.in_(unknown))
        )
        for user_id, name, anonymised in self.session.execute(query):
            self._names[user_id] = (name, bool(anonymised))
