"""Small read models for the first page of each role: recent work and a quarter's results."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from kpi_engine.org.models import User
from kpi_engine.periods import Period
from kpi_engine.sales.models import Activity, Deal


@dataclass(frozen=True)
class RepResult:
    user: User
    won_revenue: Decimal
    won: int
    lost: int

    @property
    def win_rate(self) -> float | None:
        """Won over closed deals; None when nothing closed (no data is not 0 %)."""
        closed = self.won + self.lost
        return self.won / closed if closed else None


def recent_deals(session: Session, rep_id: int, limit: int = 10) -> list[Deal]:
    """A rep's deals, most recently touched first (an undated one when it was last recorded)."""
    order = func.coalesce(Deal.closed_at, Deal.engaged_at, Deal.created_at, Deal.updated_at).desc()
    query = select(Deal).where(Deal.owner_id == rep_id).order_by(order, Deal.id.desc())
    return list(session.scalars(query.limit(limit)))


def recent_activities(session: Session, rep_id: int, limit: int = 10) -> list[Activity]:
    query = select(Activity).where(Activity.rep_id == rep_id)
    return list(session.scalars(query.order_by(Activity.occurred_at.desc()).limit(limit)))


def rep_results(session: Session, team_ids: set[int], period: Period) -> list[RepResult]:
    """Per rep of these teams: revenue won and deals won/lost closed in the period."""
    closed_in = (Deal.closed_on >= period.first_day) & (Deal.closed_on <= period.last_day)
    won = closed_in & (Deal.status == "won")
    lost = closed_in & (Deal.status == "lost")
    query = (
        select(
            User,
            func.coalesce(func.sum(case((won, Deal.amount), else_=0)), 0),
            func.count(case((won, 1))),
            func.count(case((lost, 1))),
        )
        .outerjoin(Deal, Deal.owner_id == User.id)
        .where(User.team_id.in_(team_ids), User.app_role == "rep")
        .group_by(User.id)
        .order_by(User.name)
    )
    return [RepResult(u, Decimal(r), w, lo) for u, r, w, lo in session.execute(query)]
