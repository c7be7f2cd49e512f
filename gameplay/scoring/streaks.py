"""Streaks: consecutive working days (Monday to Friday) with at least one logged activity."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo

from sqlalchemy import Select, bindparam, case, select
from sqlalchemy.orm import Session

from kpi_engine.sales.models import Activity

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
    longer than those is counted up to them).

    The database answers with the days that have an activity, not the activities: a rep who
    logs fifty calls a day costs one row per day. Each day's start is found here in `tz`, so
    the same SQL serves SQLite and PostgreSQL and days follow the zone's clock changes."""
    zone = ZoneInfo(tz)
    days = [today + timedelta(days=1 - n) for n in range(lookback_days + 2)]  # tomorrow first
    starts = {f"start{n}": datetime.combine(day, time(), zone) for n, day in enumerate(days)}
    rows = session.execute(_active_days(len(days)), {"reps": list(user_ids), **starts})
    active: dict[int, set[date]] = {user_id: set() for user_id in user_ids}
    for user_id, n in rows:
        active[user_id].add(days[n])
    return {user_id: streak_of(found, today) for user_id, found in active.items()}


@cache
def _active_days(count: int) -> Select[int, int]:
    """(rep, n) for each rep and day n with an activity, days numbered from the newest by the
    parameters start0 .. start{count - 1} (each day's start); built once per count."""
    day_of = case(*((Activity.occurred_at >= bindparam(f"start{n}"), n) for n in range(count)))
    return (
        select(Activity.rep_id, day_of)
        .where(
            Activity.rep_id.in_(bindparam("reps", expanding=True)),
            Activity.occurred_at >= bindparam(f"start{count - 1}"),
        )
        .distinct()
    )


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
