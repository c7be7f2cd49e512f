"""The scoring core without a database: facts, rules and standings in, entries out."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from gameplay.core.models import ScoringRule
from gameplay.scoring.core import Board, Entry, History, Place, Seat, score_facts
from gameplay.scoring.rules import Fact

START = datetime(2026, 3, 2, 8, tzinfo=UTC)


def rule(rule_id: int, points: int = 10, **terms: object) -> ScoringRule:
    """A rule as plain data (a transient object: no session ever sees it)."""
    values: dict[str, object] = {
        "fact": "activity", "activity_kind": "call", "outcome": None, "product": None,
        "segment": None, "min_amount": None, "points_per_amount": None,
        "multiplier": Decimal(1), "multiplier_from": None, "multiplier_until": None,
        "existing_account_multiplier": None, "daily_cap": None, "min_gap_minutes": None,
    }  # fmt: skip
    values.update(terms)
    return ScoringRule(id=rule_id, points=points, **values)


def call(rep: int, minutes: int, n: int = 0) -> Fact:
    at = START + timedelta(minutes=minutes)
    return Fact("activity", rep, at, f"activity:{rep}-{minutes}-{n}", activity_kind="call")


def won(rep: int, minutes: int, deal: str, amount: int, account: str = "acme") -> Fact:
    at = START + timedelta(minutes=minutes)
    return Fact("deal_won", rep, at, f"deal:{deal}", account=account, amount=Decimal(amount))


def board(
    *rules: ScoringRule, target: int | None = None, quotas: dict[int, Decimal] | None = None
) -> Board:
    return Board(1, ZoneInfo("UTC"), rules, target, quotas)


def seats(*reps: int, challenges: tuple[int, ...] = (1,)) -> dict[Seat, Place]:
    return {(c, r): Place(0, START - timedelta(days=1)) for c in challenges for r in reps}


def test_a_daily_cap_stops_points_at_the_cap_then_resumes_the_next_day() -> None:
    facts = [(call(1, m), [1]) for m in (0, 60, 120)] + [(call(1, 24 * 60), [1])]
    out = score_facts(facts, {1: board(rule(1, daily_cap=25))}, seats(1), History())
    assert [e.points for e in out.entries] == [10, 10, 5, 10]
    assert out.standings[(1, 1)].points == 35


def test_a_cap_counts_what_the_ledger_already_held_that_day() -> None:
    history = History(day_points={(1, 1, 1, START.replace(hour=0)): 20})
    out = score_facts([(call(1, 0), [1])], {1: board(rule(1, daily_cap=25))}, seats(1), history)
    assert [e.points for e in out.entries] == [5]


def test_a_minimum_gap_skips_an_identical_action_too_soon_either_side() -> None:
    facts = [(call(1, 0), [1]), (call(1, 10), [1]), (call(1, 45), [1]), (call(1, 5, 1), [1])]
    out = score_facts(facts, {1: board(rule(1, min_gap_minutes=30))}, seats(1), History())
    assert [e.occurred_at for e in out.entries] == [START, START + timedelta(minutes=45)]


def test_quota_normalised_points_are_per_hundred_units_of_quota() -> None:
    rules = board(rule(1, points=50), quotas={1: Decimal(200), 2: Decimal(50)})
    out = score_facts([(call(1, 0), [1]), (call(2, 0), [1])], {1: rules}, seats(1, 2), History())
    assert [(e.user_id, e.points) for e in out.entries] == [(1, 25), (2, 100)]


def test_an_upsell_to_an_account_won_before_earns_the_existing_account_multiplier() -> None:
    deal_rule = rule(1, points=100, fact="deal_won", activity_kind=None,
                     existing_account_multiplier=Decimal("0.5"))  # fmt: skip
    history = History(won_deals={"acme": [("d1", START - timedelta(days=3))]})
    facts = [(won(1, 0, "d2", 1000), [1]), (won(1, 0, "d3", 1000, account="new"), [1])]
    out = score_facts(facts, {1: board(deal_rule)}, seats(1), history)
    assert [e.points for e in out.entries] == [50, 100]


def test_reaching_the_target_is_a_completion_once() -> None:
    facts = [(call(1, m), [1]) for m in (0, 1, 2, 3)]
    out = score_facts(facts, {1: board(rule(1), target=20)}, seats(1), History())
    assert out.completions == ((1, 1, START + timedelta(minutes=1)),)
    assert out.standings[(1, 1)].target_reached_at == START + timedelta(minutes=1)


def test_the_inputs_are_left_as_they_were() -> None:
    history, standings = History(), seats(1)
    score_facts([(call(1, 0), [1])], {1: board(rule(1, daily_cap=5))}, standings, history)
    assert not history.posted and standings[(1, 1)].points == 0


rules_strategy = st.lists(
    st.tuples(
        st.integers(1, 30),
        st.none() | st.integers(5, 60),
        st.none() | st.integers(1, 240),
        st.sampled_from(["call", "email"]),
    ),
    min_size=1,
    max_size=3,
)
facts_strategy = st.lists(
    st.tuples(st.integers(1, 3), st.integers(0, 3 * 24 * 60), st.sampled_from(["call", "email"])),
    max_size=25,
)


def boards_of(specs: list[tuple[int, int | None, int | None, str]]) -> dict[int, Board]:
    rules = [
        rule(i, points, daily_cap=cap, min_gap_minutes=gap, activity_kind=kind)
        for i, (points, cap, gap, kind) in enumerate(specs, start=1)
    ]
    return {
        1: Board(1, ZoneInfo("UTC"), tuple(rules), 100),
        2: Board(2, ZoneInfo("America/New_York"), tuple(reversed(rules)), None),
    }


@settings(max_examples=150, deadline=None)
@given(rules_strategy, facts_strategy)
def test_scoring_facts_in_one_batch_equals_scoring_them_one_by_one(
    specs: list[tuple[int, int | None, int | None, str]], raw: list[tuple[int, int, str]]
) -> None:
    boards = boards_of(specs)
    facts = [
        (Fact("activity", rep, START + timedelta(minutes=m), f"a:{i}", activity_kind=kind), [1, 2])
        for i, (rep, m, kind) in enumerate(raw)
    ]
    start = seats(1, 2, 3, challenges=(1, 2))
    batch = score_facts(facts, boards, start, History())

    places, history = dict(start), History()
    entries: list[Entry] = []
    for fact in facts:
        one = score_facts([fact], boards, places, history)
        places.update(one.standings)
        history, entries = one.history, entries + list(one.entries)
    assert list(batch.entries) == entries
    assert {**start, **batch.standings} == places
    for seat, place in places.items():
        earned = [e.points for e in entries if (e.challenge_id, e.user_id) == seat]
        assert place.points == start[seat].points + sum(earned)
        assert all(points > 0 for points in earned)
    for (challenge, _, rule_id, _), day_entries in _by_rule_day(boards, entries).items():
        cap = next(r.daily_cap for r in boards[challenge].rules if r.id == rule_id)
        assert cap is None or sum(day_entries) <= cap


def _by_rule_day(
    boards: dict[int, Board], entries: list[Entry]
) -> dict[tuple[int, int, int | None, date], list[int]]:
    days: dict[tuple[int, int, int | None, date], list[int]] = {}
    for e in entries:
        day = e.occurred_at.astimezone(boards[e.challenge_id].zone).date()
        days.setdefault((e.challenge_id, e.user_id, e.rule_id, day), []).append(e.points)
    return days
