"""Missions: automatic ones measured from sales facts, manual ones completed by a reviewed
proof; in an ordered journey a mission completes only after the ones before it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gameplay.core.access import review_refusal, reviewable_author_ids
from gameplay.core.changes import Changes, Notification, note
from gameplay.core.enrollment import participant_for
from gameplay.core.lifecycle import challenge_status
from gameplay.core.models import Challenge, LedgerEntry, Mission, MissionProgress, Proof
from gameplay.core.standings import Standing
from gameplay.scoring.badges import BadgeBook
from gameplay.scoring.ledger import Ledger, Posting
from gameplay.scoring.rules import Fact, matches
from kpi_engine.errors import Conflict, Forbidden, Invalid, NotFound
from kpi_engine.org.models import User
from kpi_engine.words import N_, said


class MissionBook:
    """Mission progress as one call of the engine moves it: read once per rep and mission,
    created at zero on first use; entries for completed missions go through the call's ledger."""

    def __init__(self, ledger: Ledger, badges: BadgeBook) -> None:
        self.ledger, self.badges, self.session = ledger, badges, ledger.session
        self._rows: dict[tuple[int, int], MissionProgress] = {}
        self._read: list[tuple[set[int], set[int]]] = []  # the (missions, users) read so far

    def load(self, mission_ids: Iterable[int], user_ids: Iterable[int]) -> None:
        """Read the progress of these reps on these missions, in one query."""
        missions, users = set(mission_ids), set(user_ids)
        if not missions or not users:
            return
        query = select(MissionProgress).where(
            MissionProgress.mission_id.in_(missions), MissionProgress.user_id.in_(users)
        )
        for progress in self.session.scalars(query):
            self._rows.setdefault((progress.mission_id, progress.user_id), progress)
        self._read.append((missions, users))

    def of(self, mission: Mission, user_id: int) -> MissionProgress:
        """The rep's progress on a mission, created at zero on first use."""
        key = (mission.id, user_id)
        if key not in self._rows:
            if not any(mission.id in m and user_id in u for m, u in self._read):
                self.load([mission.id], [user_id])
            if key not in self._rows:
                progress = MissionProgress(mission_id=mission.id, user_id=user_id, value=Decimal(0))
                self.session.add(progress)
                self._rows[key] = progress
        return self._rows[key]


def advance_missions(
    book: MissionBook, challenge: Challenge, standing: Standing, fact: Fact, *, sign: int
) -> None:
    """Count a fact (sign 1) or uncount it (sign -1) in each automatic mission it matches.

    Uncounting below the target takes the completion and its points back: a mission stands
    on the facts that still hold, so the order facts and their reversals arrive in does not
    decide who keeps it."""
    touched = False
    for mission in challenge.missions:
        if mission.manual or not matches(mission, fact):
            continue
        step = (fact.amount or Decimal(0)) if mission.measure == "sum" else Decimal(1)
        progress = book.of(mission, standing.user_id)
        progress.value = (progress.value or Decimal(0)) + sign * step
        if progress.completed_at is not None and progress.value < mission.target:
            progress.completed_at = None
            book.ledger.reverse(challenge, standing, mission_ref(mission), fact.occurred_at)
        touched = True
    if touched:
        complete_ready(book, challenge, standing, at=fact.occurred_at)


def complete_ready(
    book: MissionBook, challenge: Challenge, standing: Standing, *, at: datetime
) -> None:
    """Complete every mission whose target is met (in order, for an ordered journey)."""
    for mission in challenge.missions:
        progress = book.of(mission, standing.user_id)
        if progress.completed_at is not None:
            continue
        if (progress.value or 0) >= mission.target:
            _complete(book, challenge, standing, mission, progress, at)
        elif challenge.ordered_missions:
            return
    finished = all(book.of(m, standing.user_id).completed_at for m in challenge.missions)
    if challenge.kind == "onboarding" and challenge.missions and finished:
        book.badges.award(standing.user_id, "onboarding_completed", f"challenge:{challenge.id}")


def _complete(
    book: MissionBook,
    challenge: Challenge,
    standing: Standing,
    mission: Mission,
    progress: MissionProgress,
    at: datetime,
) -> None:
    progress.completed_at = at
    user_id, changes = standing.user_id, book.ledger.changes
    data = (("mission", mission.name),)
    completed = note(
        user_id,
        "mission_completed",
        N_("Mission completed: %(mission)s"),
        challenge.id,
        data,
        mission=mission.name,
    )
    message = completed.message
    changes.notify(completed)
    if mission.points:
        posting = Posting(
            "mission", message, at, mission_id=mission.id, source_ref=mission_ref(mission)
        )
        book.ledger.post(challenge, standing, mission.points, posting)
    if mission.badge:
        book.badges.award(user_id, mission.badge, f"challenge:{challenge.id}")


def mission_ref(mission: Mission) -> str:
    return f"mission:{mission.id}"


def submit_proof(
    session: Session,
    mission_id: int,
    actor: User,
    *,
    text: str | None,
    link: str | None,
    now: datetime,
) -> Proof:
    """A participant submits evidence (text or a link) for a manual mission."""
    mission = _mission(session, mission_id)
    if not mission.manual:
        raise Conflict(N_("this mission is measured from sales data; it takes no proof"))
    if not (text or link):
        raise Invalid(N_("a proof needs a text or a link"), {"text": [N_("text or link required")]})
    if challenge_status(mission.challenge, now) != "live":
        raise Conflict(N_("proofs can be submitted only while the challenge is live"))
    if participant_for(session, mission.challenge_id, actor.id) is None:
        raise Forbidden(N_("only participants of this challenge can submit a proof"))
    proof = Proof(mission_id=mission.id, user_id=actor.id, text=text, link=link, submitted_at=now)
    session.add(proof)
    session.flush()
    return proof


def review_proof(
    session: Session,
    proof_id: int,
    actor: User,
    *,
    approve: bool,
    comment: str | None,
    now: datetime,
) -> tuple[Proof, Changes]:
    """A manager of the proof's author approves (completing the mission) or rejects a pending
    proof; never their own (gameplay.core.access decides who may)."""
    proof = session.get(Proof, proof_id)
    if proof is None:
        raise NotFound(N_("no proof with id %(id)s"), id=str(proof_id))
    mission = _mission(session, proof.mission_id)
    refusal = review_refusal(session, actor, proof, mission.challenge)
    if refusal is not None:
        raise refusal
    if proof.status != "pending":
        raise Conflict(N_("this proof was already %(status)s"), status=said(proof.status))
    if not approve and not (comment or "").strip():
        raise Invalid(
            N_("say why the proof is rejected"), {"comment": [N_("required when rejecting")]}
        )
    proof.status, proof.comment = (N_("approved") if approve else N_("rejected")), comment
    proof.reviewer_id, proof.reviewed_at = actor.id, now
    changes = Changes()
    if approve:
        _credit_proof(session, mission, proof, now, changes)
    changes.notify(_verdict(proof, mission, approve, comment))
    session.flush()
    return proof, changes


def _verdict(proof: Proof, mission: Mission, approve: bool, comment: str | None) -> Notification:
    """The rep's note on a reviewed proof: approved, or rejected with the reason given."""
    if approve:
        template = N_("Your proof for %(mission)s was approved")
    elif comment:
        template = N_("Your proof for %(mission)s was rejected: %(comment)s")
    else:
        template = N_("Your proof for %(mission)s was rejected")
    where = mission.challenge_id
    if comment and not approve:
        return note(proof.user_id, "proof_reviewed", template, where, mission=mission.name,
                    comment=comment)  # fmt: skip
    return note(proof.user_id, "proof_reviewed", template, where, mission=mission.name)


def _credit_proof(
    session: Session, mission: Mission, proof: Proof, now: datetime, changes: Changes
) -> None:
    ledger = Ledger(session, now=now, changes=changes)
    standing = ledger.standings.of(mission.challenge_id, proof.user_id)
    if standing is None:
        raise Conflict(N_("the submitter no longer takes part in this challenge"))
    book = MissionBook(ledger, BadgeBook(session, now=now, changes=changes))
    book.of(mission, proof.user_id).value = Decimal(mission.target)
    complete_ready(book, mission.challenge, standing, at=now)
    ledger.close()


def _mission(session: Session, mission_id: int) -> Mission:
    mission = session.get(Mission, mission_id)
    if mission is None:
        raise NotFound(N_("no mission with id %(id)s"), id=str(mission_id))

    return mission


def pending_proofs(session: Session, challenge_id: int, reviewer: User) -> list[Proof]:
    """Proofs of a challenge waiting for this reviewer, oldest first: those of the people whose
    team they manage (everyone's for an admin), never their own."""
    query = (
        select(Proof)
        .join(Mission, Mission.id == Proof.mission_id)
        .where(
            Mission.challenge_id == challenge_id,
            Proof.status == "pending",
            Proof.user_id != reviewer.id,
        )
        .order_by(Proof.submitted_at, Proof.id)
    )
    authors = reviewable_author_ids(session, reviewer)
    if authors is not None:
        query = query.where(Proof.user_id.in_(authors))
    return list(session.scalars(query))


def mission_board(
    session: Session, challenge_id: int, user_id: int
) -> list[tuple[Mission, MissionProgress | None]]:
    """Each mission of a challenge with the rep's progress on it (None before any)."""
    missions = session.scalars(
        select(Mission).where(Mission.challenge_id == challenge_id).order_by(Mission.position)
    ).all()
    progress = {
        p.mission_id: p
        for p in session.scalars(
            select(MissionProgress).where(
                MissionProgress.user_id == user_id,
                MissionProgress.mission_id.in_([m.id for m in missions]),
            )
        )
    }
    return [(m, progress.get(m.id)) for m in missions]


@dataclass(frozen=True)
class MissionState:
    """Where a rep stands on one mission, as plain values a page can show.

    state: "done" (completed and its points awarded), "pending" (a proof awaits review, or
    the step is completed but its points are not in the ledger), "next" (the step to do now
    in an ordered journey), "open" (to do, any order), "locked" (an earlier step comes first).
    """

    mission_id: int
    name: str
    state: str
    shown: int  # progress counted so far, capped at the target
    target: int
    percent: int
    points: int
    manual: bool
    unlocks_after: str | None  # the step before a locked one
    rejected_comment: str | None  # why the last proof was rejected, when it was


def mission_states(session: Session, challenge: Challenge, user_id: int) -> list[MissionState]:
    """Each mission of a challenge, in order, with its state for this rep.

    The engine counts facts toward every automatic mission from the challenge's start, also
    while the step is locked, so a locked step can show its target already met: it completes
    (and pays) the moment the steps before it are done.
    """
    board = mission_board(session, challenge.id, user_id)
    paid = _mission_points_paid(session, challenge.id, user_id)
    last_proof = _last_proofs(session, [m.id for m, _ in board], user_id)
    states, blocked_by = [], None
    previous: str | None = None
    for mission, progress in board:
        state = _state_of(mission, progress, paid, last_proof.get(mission.id))
        if blocked_by is not None and state != "done":
            state = "locked"
        elif challenge.ordered_missions and state not in ("done", "pending_award"):
            blocked_by = mission.name
            state = "next" if state == "open" else state
        states.append(_mission_state(mission, progress, state, previous, last_proof))
        previous = mission.name
    return states


def _state_of(
    mission: Mission, progress: MissionProgress | None, paid: dict[int, int], proof: Proof | None
) -> str:
    if progress is not None and progress.completed_at is not None:
        return "done" if not mission.points or paid.get(mission.id, 0) > 0 else "pending_award"
    return "pending" if proof is not None and proof.status == "pending" else "open"


def _mission_state(
    mission: Mission,
    progress: MissionProgress | None,
    state: str,
    previous: str | None,
    proofs: dict[int, Proof],
) -> MissionState:
    value = int(progress.value or 0) if progress else 0
    shown = mission.target if state == "done" else max(0, min(value, mission.target))
    percent = round(100 * shown / mission.target) if mission.target else 0
    proof = proofs.get(mission.id)
    rejected = proof.comment if proof is not None and proof.status == "rejected" else None
    return MissionState(
        mission.id,
        mission.name,
        "pending" if state == "pending_award" else state,
        shown,
        mission.target,
        percent,
        mission.points,
        mission.manual,
        previous if state == "locked" else None,
        rejected if state not in ("done", "pending") else None,
    )


def _mission_points_paid(session: Session, challenge_id: int, user_id: int) -> dict[int, int]:
    """Net ledger points per mission for a rep (a reversed award nets to zero)."""
    query = (
        select(LedgerEntry.mission_id, func.sum(LedgerEntry.points))
        .where(
            LedgerEntry.challenge_id == challenge_id,
            LedgerEntry.user_id == user_id,
            LedgerEntry.mission_id.is_not(None),
        )
        .group_by(LedgerEntry.mission_id)
    )
    rows = session.execute(query)
    return {mission_id: int(total or 0) for mission_id, total in rows if mission_id is not None}


def _last_proofs(session: Session, mission_ids: list[int], user_id: int) -> dict[int, Proof]:
    query = (
        select(Proof)
        .where(Proof.user_id == user_id, Proof.mission_id.in_(mission_ids))
        .order_by(Proof.submitted_at, Proof.id)
    )
    return {proof.mission_id: proof for proof in session.scalars(query)}
