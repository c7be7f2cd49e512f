"""The append-only points ledger: every movement of points is an entry, a correction is a new
entry that reverses an old one. Posting an entry keeps standings and lifetime points current.

A call of the engine posts through one Ledger: each entry moves its participant's standing and
lifetime points at once (in memory, so the next entry sees them), and closing the call inserts
all its entries with one executemany and settles the standings once per challenge.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from gameplay.core.access import adjust_refusal
from gameplay.core.changes import Changes, note
from gameplay.core.models import PRIZE, Challenge, LedgerEntry, Participant, PlayerProfile
from gameplay.core.standings import Standing, Standings
from gameplay.scoring.core import Entry, History
from gameplay.scoring.levels import add_lifetime_points
from gameplay.scoring.persist import ENTRIES, insert_entries
from kpi_engine.errors import Invalid
from kpi_engine.org.models import User
from kpi_engine.words import N_, said


@dataclass(frozen=True)
class Posting:
    """What an entry is for: its kind, the reason in words, and what it came from."""

    kind: str
    reason: str
    occurred_at: datetime
    rule_id: int | None = None
    mission_id: int | None = None
    source_ref: str | None = None
    raw_event_id: int | None = None
    reverses_id: int | None = None
    actor_id: int | None = None


class Ledger:
    """The entries one call posts, in order, and the standings they move."""

    def __init__(
        self, session: Session, *, now: datetime, changes: Changes, replay: bool = False
    ) -> None:
        # A replay leaves ranks, lifetime points and the news to its caller (rebuild).
        self.session, self.now, self.changes, self.replay = session, now, changes, replay
        self.standings = Standings(session, changes, replay=replay)
        self.pending: list[dict[str, Any]] = []
        # What caps and gaps look at: the ledger before the call (read by the scorer) and every
        # entry this call posted under a rule, written or not.
        self.history = History()

    def post(
        self, challenge: Challenge, standing: Standing, points: int, posting: Posting
    ) -> dict[str, Any]:
        """Append one entry; move the participant's standing and lifetime points with it."""
        entry = {
            "challenge_id": challenge.id,
            "user_id": standing.user_id,
            "points": points,
            "created_at": self.now,
            **posting.__dict__,
            "reason": str(posting.reason),  # stored as English; a note writes it for its reader
        }
        self.pending.append(entry)
        if posting.rule_id is not None:
            self.history.record(
                Entry(challenge.id, standing.user_id, points, posting.kind, posting.reason,
                      posting.occurred_at, posting.rule_id)
            )  # fmt: skip
        if posting.kind != PRIZE:
            self.standings.move(challenge, standing, points, posting.occurred_at)
        if self.replay:
            return entry
        add_lifetime_points(self.session, standing.user_id, points, self.changes)
        if points > 0:
            template = (
                N_("+%(points)s point in %(challenge)s: %(reason)s")
                if points == 1
                else N_("+%(points)s points in %(challenge)s: %(reason)s")
            )
            earned = note(
                standing.user_id,
                "points_earned",
                template,
                challenge.id,
                points=points,
                challenge=challenge.name,
                reason=posting.reason,
            )
            self.changes.notify(earned)
        return entry

    def reverse(
        self, challenge: Challenge, standing: Standing, source_ref: str, at: datetime
    ) -> None:
        """Post a reversing entry for each not yet reversed entry that came from this source."""
        mine = (challenge.id, standing.user_id, source_ref)
        if any((e["challenge_id"], e["user_id"], e["source_ref"]) == mine for e in self.pending):
            self.write()  # a reversal names the entry it reverses: that one needs its id
        for entry in _open_entries(self.session, challenge.id, standing.user_id, source_ref):
            posting = Posting(
                "reversal",
                f"reversed: {entry.reason}",
                at,
                entry.rule_id,
                entry.mission_id,
                source_ref,
                reverses_id=entry.id,
            )
            self.post(challenge, standing, -entry.points, posting)

    def write(self) -> None:
        """Insert the entries posted since the last write (persist.insert_entries)."""
        insert_entries(self.session, self.pending)
        self.pending = []

    def close(self) -> None:
        """Write the entries and settle the standings they moved."""
        self.write()
        self.standings.settle()


def post_entry(
    session: Session,
    challenge: Challenge,
    participant: Participant,
    points: int,
    posting: Posting,
    *,
    now: datetime,
    changes: Changes,
) -> LedgerEntry:
    """Append one entry and move the participant's standing and lifetime points with it."""
    ledger = Ledger(session, now=now, changes=changes)
    standing = ledger.standings.of(challenge.id, participant.user_id)
    assert standing is not None, "a participant has a standing"
    entry = ledger.post(challenge, standing, points, posting)
    ledger.close()
    stored = session.get(LedgerEntry, entry["id"])
    assert stored is not None
    return stored


def _open_entries(session: Session, challenge_id: int, user_id: int, source_ref: str) -> list[Any]:
    reversal = aliased(ENTRIES)
    query = (
        select(
            ENTRIES.c.id,
            ENTRIES.c.points,
            ENTRIES.c.reason,
            ENTRIES.c.rule_id,
            ENTRIES.c.mission_id,
        )
        .outerjoin(reversal, reversal.c.reverses_id == ENTRIES.c.id)
        .where(
            ENTRIES.c.challenge_id == challenge_id,
            ENTRIES.c.user_id == user_id,
            ENTRIES.c.source_ref == source_ref,
            ENTRIES.c.kind != "reversal",
            reversal.c.id.is_(None),
        )
        .order_by(ENTRIES.c.id)
    )
    return list(session.execute(query))


def adjust_points(
    session: Session,
    challenge: Challenge,
    participant: Participant,
    points: int,
    *,
    reason: str,
    actor: User,
    now: datetime,
) -> tuple[LedgerEntry, Changes]:
    """A manager's manual adjustment of someone else's points, for a person whose team they
    manage (gameplay.core.access decides): needs a reason, and records who made it (the audit)."""
    refusal = adjust_refusal(session, actor, challenge, participant.user_id)
    if refusal is not None:
        raise refusal
    if not reason.strip():
        raise Invalid(N_("an adjustment needs a reason"), {"reason": [N_("required")]})
    if points == 0:
        raise Invalid(
            N_("an adjustment of 0 points changes nothing"), {"points": [N_("must not be 0")]}
        )
    if points < 0:
        _check_clawback(session, challenge, participant.user_id, -points)
    changes = Changes()
    posting = Posting("adjustment", reason.strip(), now, actor_id=actor.id)
    entry = post_entry(session, challenge, participant, points, posting, now=now, changes=changes)
    session.flush()
    return entry, changes


def _check_clawback(session: Session, challenge: Challenge, user_id: int, taken: int) -> None:
    """A clawback takes back at most what the rep holds: their net points in this challenge,
    and no more than their spendable balance, so that balance never goes below zero.

    The rep's profile row is locked first (FOR UPDATE on PostgreSQL; SQLite writers already
    take turns), so two clawbacks or a clawback and a redemption at once see one balance."""
    profile = session.scalar(
        select(PlayerProfile)
        .where(PlayerProfile.user_id == user_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    balance = profile.balance if profile is not None else 0
    earned = session.scalar(
        select(func.coalesce(func.sum(ENTRIES.c.points), 0)).where(
            ENTRIES.c.challenge_id == challenge.id, ENTRIES.c.user_id == user_id
        )
    )
    limit = max(0, min(int(earned or 0), balance))
    if taken > limit:
        least = said(N_("must be at least -%(limit)s"), limit=limit)
        raise Invalid(
            N_(
                "a clawback can take back at most %(limit)s points: the rep holds %(earned)s in"
                " %(challenge)s and can spend %(balance)s"
            ),
            {"points": [least if limit else N_("there is nothing to take back")]},
            limit=limit,
            earned=int(earned or 0),
            challenge=challenge.name,
            balance=balance,
        )


def entries_for(
    session: Session, challenge_id: int, user_id: int | None = None
) -> list[LedgerEntry]:
    """The ledger of a challenge (optionally one rep's part of it), oldest first."""
    query = select(LedgerEntry).where(LedgerEntry.challenge_id == challenge_id)
    if user_id is not None:
        query = query.where(LedgerEntry.user_id == user_id)
    return list(session.scalars(query.order_by(LedgerEntry.id)))
