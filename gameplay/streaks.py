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
    zone = ZoneInfo(tz)
    since = datetime.combine(today - timedelta(days=LOOKBACK_DAYS), time(), zone)
    times = session.scalars(
        select(Activity.occurred_at).where(
            Activity.rep_id == user_id, Activity.occurred_at >= since
        )
    )
    return streak_of({t.astimezone(zone).date() for t in times}, today)


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
