"""Rewards: prizes a challenge gives its winners (within its cash budget), and a catalogue
in which reps spend points on things a manager then hands over. A balance never goes negative."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from gameplay.core.access import may_manage_user
from gameplay.core.changes import Changes
from gameplay.core.enrollment import participant_for
from gameplay.core.lifecycle import budget_left
from gameplay.core.models import PRIZE, Challenge, Redemption, Reward
from gameplay.scoring.ledger import Posting, post_entry
from gameplay.scoring.profiles import profile_of
from kpi_engine.errors import Conflict, Forbidden, Invalid, NotFound
from kpi_engine.org.membership import managed_team_ids
from kpi_engine.org.models import User
from kpi_engine.words import N_, Said, said, said_n


def grant_prizes(
    session: Session, challenge: Challenge, user_id: int, *, now: datetime, changes: Changes
) -> list[dict[str, Any]]:
    """Give a winner each prize of the challenge; cash prizes stop once the budget is spent."""
    granted = []
    participant = participant_for(session, challenge.id, user_id)
    for reward in challenge.rewards:
        left = budget_left(challenge)
        if reward.cash_value and left is not None and reward.cash_value > left:
            continue
        if reward.cash_value:
            challenge.budget_spent = (challenge.budget_spent or Decimal(0)) + reward.cash_value
        if reward.bonus_points and participant is not None:
            posting = Posting(PRIZE, said(N_("prize: %(reward)s"), reward=said(reward.name)),
                              challenge.ends_at)  # fmt: skip
            post_entry(
                session,
                challenge,
                participant,
                reward.bonus_points,
                posting,
                now=now,
                changes=changes,
            )
        granted.append({"reward_id": reward.id, "name": reward.name})
    return granted


def may_manage_catalogue(actor: User) -> bool:
    """Managers and admins keep the catalogue. A reward has no team (the catalogue is one for
    the whole org, as reps' balances are), so every manager keeps the same catalogue."""
    return actor.app_role in ("manager", "admin")


def may_handle_redemption(session: Session, actor: User, redemption: Redemption) -> bool:
    """A manager of the rep's team, or an admin, hands a reward over or refuses it; nobody
    handles their own request."""
    rep = session.get(User, redemption.user_id)
    if rep is None or rep.id == actor.id or actor.app_role not in ("manager", "admin"):
        return False
    return may_manage_user(session, actor, rep)


def catalogue(session: Session) -> list[Reward]:
    """The rewards reps can buy with points, cheapest first."""
    query = select(Reward).where(Reward.challenge_id.is_(None), Reward.active.is_(True))
    return list(session.scalars(query.order_by(Reward.cost, Reward.name)))


def full_catalogue(session: Session) -> list[Reward]:
    """Every catalogue reward, on sale first (cheapest first), then the retired ones."""
    query = select(Reward).where(Reward.challenge_id.is_(None))
    return list(session.scalars(query.order_by(Reward.active.desc(), Reward.cost, Reward.name)))


def add_catalogue_reward(
    session: Session, actor: User, *, name: str, cost: int, cash_value: Decimal | None = None
) -> Reward:
    """An admin or manager adds a reward to the catalogue."""
    _check_catalogue_keeper(actor)
    _check_reward(name, cost, cash_value)
    reward = Reward(
        name=name.strip(), cost=cost, cash_value=cash_value, bonus_points=0, active=True
    )
    session.add(reward)
    session.flush()
    return reward


def change_catalogue_reward(
    session: Session,
    reward_id: int,
    actor: User,
    *,
    name: str,
    cost: int,
    cash_value: Decimal | None = None,
) -> Reward:
    """Rename or reprice a catalogue reward; requests already made keep the cost they paid."""
    _check_catalogue_keeper(actor)
    reward = _catalogue_reward(session, reward_id)
    _check_reward(name, cost, cash_value)
    reward.name, reward.cost, reward.cash_value = name.strip(), cost, cash_value
    session.flush()
    return reward


def retire_reward(session: Session, reward_id: int, actor: User, *, active: bool = False) -> Reward:
    """Take a reward off sale (or put it back); requests already made stay to be handled."""
    _check_catalogue_keeper(actor)
    reward = _catalogue_reward(session, reward_id)
    reward.active = active
    session.flush()
    return reward


def _check_catalogue_keeper(actor: User) -> None:
    if not may_manage_catalogue(actor):
        raise Forbidden(N_("only managers and admins manage the rewards catalogue"))


def _check_reward(name: str, cost: int, cash_value: Decimal | None) -> None:
    if not name.strip():
        raise Invalid(N_("a reward needs a name"), {"name": [N_("required")]})
    if cost <= 0:
        raise Invalid(
            N_("a catalogue reward costs at least 1 point"), {"cost": [N_("must be positive")]}
        )
    if cash_value is not None and cash_value < 0:
        raise Invalid(
            N_("a cash value cannot be negative"), {"cash_value": [N_("must not be negative")]}
        )


def _catalogue_reward(session: Session, reward_id: int) -> Reward:
    reward = session.get(Reward, reward_id)
    if reward is None or reward.challenge_id is not None:
        raise NotFound(N_("no catalogue reward with id %(id)s"), id=str(reward_id))
    return reward


def redeem(session: Session, reward_id: int, actor: User, *, now: datetime) -> Redemption:
    """A rep spends points on a catalogue reward; refused when the balance would go negative."""
    reward = session.get(Reward, reward_id)
    if reward is None or reward.challenge_id is not None or not reward.active:
        raise NotFound(N_("no catalogue reward with id %(id)s"), id=str(reward_id))
    profile = profile_of(session, actor.id)
    if profile.balance < reward.cost:
        short = reward.cost - profile.balance
        raise Conflict(
            N_(
                "not enough points: %(reward)s costs %(cost)s, you have %(balance)s"
                " (%(short)s more needed)"
            ),
            {"reward_id": [N_("not enough points")]},
            reward=reward.name,
            cost=_points(reward.cost),
            balance=_points(profile.balance),
            short=short,
        )
    profile.spent_points += reward.cost
    redemption = Redemption(
        user_id=actor.id,
        reward_id=reward.id,
        cost=reward.cost,
        status="requested",
        requested_at=now,
    )
    session.add(redemption)
    session.flush()
    return redemption


def fulfil_redemption(
    session: Session, redemption_id: int, actor: User, *, now: datetime
) -> Redemption:
    """A manager of the rep's team (or an admin) marks a redemption as handed over."""
    redemption = _open_redemption(session, redemption_id, actor, N_("fulfil"))
    redemption.status, redemption.fulfilled_by_id, redemption.fulfilled_at = (
        N_("fulfilled"),
        actor.id,
        now,
    )
    session.flush()
    return redemption


def refuse_redemption(
    session: Session, redemption_id: int, actor: User, *, now: datetime
) -> Redemption:
    """A manager of the rep's team (or an admin) refuses a request: the points it cost go back
    to the rep's balance. The request stays on record as cancelled, with who closed it and when
    (kept in the fulfilled_by / fulfilled_at columns, which record who handled it)."""
    redemption = _open_redemption(session, redemption_id, actor, N_("refuse"))
    profile_of(session, redemption.user_id).spent_points -= redemption.cost
    redemption.status, redemption.fulfilled_by_id, redemption.fulfilled_at = (
        "cancelled",
        actor.id,
        now,
    )
    session.flush()
    return redemption


def _open_redemption(session: Session, redemption_id: int, actor: User, verb: str) -> Redemption:
    redemption = session.get(Redemption, redemption_id)
    if redemption is None:
        raise NotFound(N_("no redemption with id %(id)s"), id=str(redemption_id))
    if not may_handle_redemption(session, actor, redemption):
        raise Forbidden(
            N_("only a manager of this rep's team can %(verb)s the redemption"), verb=said(verb)
        )
    if redemption.status != "requested":
        raise Conflict(N_("this redemption is already %(status)s"), status=said(redemption.status))
    return redemption


def pending_redemptions(session: Session, actor: User) -> list[Redemption]:
    """Requests waiting to be handed over that this actor may handle, oldest first."""
    query = (
        select(Redemption)
        .join(User, User.id == Redemption.user_id)
        .where(Redemption.status == "requested", Redemption.user_id != actor.id)
        .order_by(Redemption.requested_at, Redemption.id)
    )
    if actor.app_role != "admin":
        query = query.where(User.team_id.in_(managed_team_ids(session, actor)))
    return list(session.scalars(query))


def redemptions_of(session: Session, user_id: int) -> list[Redemption]:
    """A rep's redemptions, newest first."""
    query = select(Redemption).where(Redemption.user_id == user_id)
    return list(
        session.scalars(query.order_by(Redemption.requested_at.desc(), Redemption.id.desc()))
    )


def _points(count: int) -> Said:
    return said_n("%(count)s point", "%(count)s points", count)
