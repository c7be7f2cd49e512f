"""`flask scheduled`: two runs started at once finalise and alert exactly once between them."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import timedelta
from decimal import Decimal

from flask import Flask
from sqlalchemy import func, select, update

from gameplay.core.models import Challenge, ChallengeAward
from gameplay.manage.challenges import create_challenge, launch_challenge
from gameplay.scoring.engine import record_sales_events
from kpi_engine.db import utcnow
from kpi_engine.kpis.models import KpiAlert
from kpi_engine.kpis.targets import set_target
from kpi_engine.periods import quarter_of
from tests.factories import event, make_team, make_user
from tests.live_server import ROOT
from web.extensions import db


def ended_challenge_and_a_red_kpi(app: Flask) -> int:
    """A challenge that ended with Ann and Bob scored, and a team win rate below its target."""
    with app.app_context():
        s, now = db.session(), utcnow()
        manager = make_user(s, app_role="manager")
        team = make_team(s, manager=manager)
        reps = [make_user(s, name=n, team=team) for n in ("Ann", "Bob")]
        spec = {
            "name": "Calls", "kind": "prospecting", "format": "leaderboard",
            "starts_at": now - timedelta(days=2), "ends_at": now + timedelta(days=1),
            "timezone": "UTC", "audience": {"team_ids": [team.id]}, "enrolment": "auto",
            "rules": [{"fact": "activity", "activity_kind": "call", "points": 10}],
        }  # fmt: skip
        challenge = create_challenge(s, spec, manager, now=now)
        launch_challenge(s, challenge.id, manager, now=now)
        at = max(now - timedelta(hours=1), quarter_of(now, "UTC").start)
        events = [event("activity.logged", rep, at, kind="call") for rep in reps]
        events += [
            event("deal.created", reps[0], at, deal_id="x1", stage="Prospecting"),
            event("deal.lost", reps[0], at, deal_id="x1", amount="0"),
        ]
        record_sales_events(s, events, source="api", now=now)
        quarter = quarter_of(now, "UTC").label
        set_target(s, kpi_key="win_rate", scope=f"team:{team.id}", period=quarter,
                   target=Decimal("0.5"))  # fmt: skip
        ended = update(Challenge).where(Challenge.id == challenge.id)
        s.execute(ended.values(ends_at=now - timedelta(minutes=1)))
        s.commit()
        db.engine.dispose()
        return challenge.id


def scheduled(database_url: str) -> subprocess.Popen[str]:
    env = {**os.environ, "DATABASE_URL": database_url, "SECRET_KEY": "scheduled-test"}
    command = [sys.executable, "-m", "flask", "--app", "wsgi", "scheduled"]
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)


def test_two_runs_at_once_award_each_winner_and_raise_each_alert_once(
    app: Flask, database_url: str
) -> None:
    challenge_id = ended_challenge_and_a_red_kpi(app)
    runs = [scheduled(database_url) for _ in range(2)]
    outputs = [run.communicate(timeout=120)[0] for run in runs]
    assert [run.returncode for run in runs] == [0, 0], outputs
    counts = [tuple(map(int, re.findall(r"\d+", out))) for out in outputs]
    assert sorted(counts) == [(0, 0), (1, 1)], outputs
    with app.app_context():
        s = db.session()
        awards = s.execute(
            select(ChallengeAward.user_id, func.count())
            .where(ChallengeAward.challenge_id == challenge_id)
            .group_by(ChallengeAward.user_id)
        ).all()
        alerts = s.scalar(select(func.count()).select_from(KpiAlert))
        finalized = s.get(Challenge, challenge_id).finalized_at  # type: ignore[union-attr]
    assert awards and all(count == 1 for _, count in awards)
    assert alerts == 1
    assert finalized is not None
