"""Streaks: consecutive working days (Monday to Friday) with at least one logged activity."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from kpi_engine.models import Activity

LOOKBACK_DAYS = 120


@dataclass(frozen=True)
class Streak:
    current: int
    last_day: date | None


def current_streak(session: Session, user_id: int, *, today: date, tz: str = "UTC") -> Streak:
    """The run of working days with an activity ending today (or the last working day)."""
    return current_streaks(session, {user_id}, today=today, tz=tz)[user_id]


def current_streaks(
    session: Session,
    user_ids: set[int],
    *,
    today: date,
    tz: str = "UTC",
    lookback_days: int = LOOKBACK_DAYS,
) -> dict[int, Streak]:
    """Each user's current streak, in one query over the last `lookback_days` days (a streak
    longer than those is counted up to them)."""
    zone = ZoneInfo(tz)
    since = datetime.combine(today - timedelta(days=lookback_days), time(), zone)
    query = select(Activity.rep_id, Activity.occurred_at).where(
        Activity.rep_id.in_(user_ids), Activity.occurred_at >= since
    )
    days: dict[int, set[date]] = {user_id: set() for user_id in user_ids}
    for user_id, at in session.execute(query):
        days[user_id].add(at.astimezone(zone).date())
    return {user_id: streak_of(active, today) for user_id, active in days.items()}


def streak_of(days: set[date], today: date) -> Streak:
    """Count back from today over working days; a day off today does not break the run."""
    day = today if today in days else _previous_working_day(today)
    count = 0
    while day in days:
        count += 1
        day = _previous_working_day(day)
    return Streak(count, max(days) if days else None)


def _previous_working_day(day: date) -> date:
    day -= timedelta(days=1)
    while day.weekday() >= 5:
        day -= timedelta(days=1)
    return day
