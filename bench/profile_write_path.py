"""Where the time goes on the issue-21 rows that miss their targets: pyinstrument profiles.

`make bench` says how far each row is from its baseline; this says why. Each workload is the
benchmark's own, run in this process under pyinstrument (wall-clock samples, so a loaded
machine stretches every frame alike: read the shares, not the seconds):

- post: 200 single-event POSTs (one rep's call) through Flask's test client into a live
  challenge with a 1,000-participant board (bench_post's latency row), with the SQL
  statements of one POST listed; the frame's relay is left to `frame`.
- frame: the same POSTs, each followed by what turns it into a leaderboard frame in the process
  that committed it (`relay_boards`: the board's news, the moved rows, the emit, marking the
  news relayed), the part of POST -> frame that is ours beyond the POST itself.
- ingest: 2,000 events in deliveries of 500 through the engine with 10 live challenges
  (bench_ingest's quick row).
- rebuild: the replay of 5,000 call events into 4 challenges of 1,000 reps (bench_rebuild's
  quick row), `rebuild_game` alone.

    .venv/bin/python -m bench.profile_write_path [post frame ingest rebuild] [--url URL]
"""

from __future__ import annotations

import argparse
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from pyinstrument import Profiler
from pyinstrument.renderers import ConsoleRenderer
from sqlalchemy import Engine, event, select
from sqlalchemy.orm import Session

POSTS = 200
# Frames under this share of the whole are folded into their caller.
THRESHOLD = 0.02


def profile(title: str, work: Callable[[], object]) -> None:
    profiler = Profiler(interval=0.0005)
    profiler.start()
    work()
    profiler.stop()
    renderer = ConsoleRenderer(
        time="percent_of_total", processor_options={"filter_threshold": THRESHOLD}
    )
    print(f"\n=== {title}: {profiler.last_session.duration:.2f} s sampled ===")  # type: ignore[union-attr]
    print(profiler.output(renderer))


@contextmanager
def statements(engine: Engine) -> Iterator[list[str]]:
    seen: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(" ".join(statement.split())[:110])

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", count)


def posts(url: str, relay: bool) -> None:
    from bench.bench_post import BOARD, _call, add_board
    from tests.conftest import make_app, migrate_to_head
    from tests.live.conftest import build_org
    from web import realtime
    from web.board_relay import relay_boards
    from web.extensions import db

    migrate_to_head(make_app(url))
    org = build_org(make_app(url))
    add_board(url, org.challenge_id, BOARD)
    app = make_app(url, RATELIMIT_ENABLED=False)
    moved: dict[int, set[int]] = {}
    # The throttle would relay from a thread of its own, out of the profiler's sight: keep what
    # it was told and relay here instead when `relay` asks for it.
    realtime.throttle.note = lambda _app, cid, users: moved.setdefault(cid, set()).update(users)
    client = app.test_client()
    headers = {"Authorization": f"Bearer {org.token}"}

    def one(n: int) -> None:
        answer = client.post("/api/v1/events", json=_call(f"p-{relay}-{n}"), headers=headers)
        assert answer.status_code == 200, answer.get_data(as_text=True)
        if relay:
            relay_boards(app, [org.challenge_id], also_moved=dict(moved))
        moved.clear()

    for n in range(20):  # warm: caches, first profile rows, compiled statements
        one(n)
    with app.app_context():
        engine = db.engine
    with statements(engine) as seen:
        one(20)
    print(f"\n--- one POST{' and its relay' if relay else ''}: {len(seen)} statements ---")
    print("\n".join(f"{n:2} {s}" for n, s in enumerate(seen)))
    what = "POST -> relayed frame" if relay else "single-event POST"
    profile(f"{what} x {POSTS}, {BOARD}-participant board", lambda: [
        one(n) for n in range(100, 100 + POSTS)
    ])  # fmt: skip


def ingest(url: str) -> None:
    from bench.bench_ingest import SCALES, _engine, _live_challenges, _org, sales_events
    from gameplay.scoring.engine import record_sales_events

    scale = SCALES["quick"]
    engine = _engine(url)
    with Session(engine) as session:
        admin, reps, teams = _org(session, scale)
        _live_challenges(session, admin, teams, 10)
        events = sales_events(scale, [r.email for r in reps])

        def deliveries() -> None:
            for start in range(0, len(events), scale.batch):
                batch = events[start : start + scale.batch]
                now = max(e.occurred_at for e in batch)
                record_sales_events(session, batch, source="bench", now=now)
                session.commit()

        profile(f"batch ingestion, {len(events)} events, 10 live challenges", deliveries)
    engine.dispose()


def rebuild(url: str | None) -> None:
    from bench.bench_engine import _engine, _users
    from bench.bench_rebuild import NOW, REPS, SIZES, _challenges, feed
    from gameplay.ops.rebuild import rebuild_game
    from kpi_engine.org.models import User

    count, events = SIZES["quick"]
    with tempfile.TemporaryDirectory() as folder:
        engine = _engine(url, Path(folder))
        with Session(engine) as session:
            users = _users(session, REPS)
            _challenges(session, users, count)
            emails = list(session.scalars(select(User.email).where(User.id.in_(users))))
            session.commit()
            feed(session, emails, events)

            def replay() -> None:
                rebuild_game(session, now=NOW)
                session.commit()

            profile(f"replay rebuild, {events} call events, {count} challenges", replay)
        engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("workloads", nargs="*", default=["post", "frame", "ingest", "rebuild"])
    parser.add_argument("--url", help="database URL (default: a fresh SQLite file per workload)")
    args = parser.parse_args()
    for workload in args.workloads:
        folder = Path(tempfile.mkdtemp(prefix=f"profile-{workload}-"))
        url = args.url or f"sqlite:///{folder / 'profile.db'}"
        if workload in ("post", "frame"):
            posts(url, relay=workload == "frame")
        elif workload == "ingest":
            ingest(url)
        elif workload == "rebuild":
            rebuild(args.url)
        else:
            parser.error(f"unknown workload {workload!r}")


if __name__ == "__main__":
    main()
