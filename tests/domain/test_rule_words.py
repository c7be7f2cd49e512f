"""How rules and formats read to a rep: plain words, no "+50 +0.01 per unit", no "top 1 ... win"."""

from __future__ import annotations

from decimal import Decimal

from gameplay.boards.formats import describe_format
from gameplay.core.models import Challenge, ScoringRule
from gameplay.scoring.rules import describe_rule


def test_an_upsell_rule_reads_as_points_per_deal_plus_a_share_of_its_amount() -> None:
    rule = ScoringRule(
        fact="deal_won",
        points=50,
        points_per_amount=Decimal("0.01"),
        existing_account_multiplier=Decimal("1.5"),
        multiplier=Decimal(1),
    )
    words = describe_rule(rule)
    assert (
        words == "+50 per deal won, plus 1 point per 100 of its amount, x1.5 for existing accounts"
    )


def test_a_rule_paying_only_on_amount_names_the_rate_once() -> None:
    rule = ScoringRule(
        fact="deal_won", points=0, points_per_amount=Decimal("2"), multiplier=Decimal(1)
    )
    assert describe_rule(rule) == "2 points per 1 of its amount, per deal won"


def test_a_call_rule_keeps_its_caps_in_words() -> None:
    rule = ScoringRule(
        fact="activity",
        activity_kind="call",
        points=1,
        daily_cap=50,
        min_gap_minutes=2,
        multiplier=Decimal(1),
    )
    assert describe_rule(rule) == "+1 per call, up to 50 a day, at most once every 2 minutes"


def test_one_winner_reads_in_the_singular() -> None:
    board = Challenge(format="leaderboard", top_n=1, team_scoring="sum")
    race = Challenge(format="race", top_n=1, target=500, team_scoring="sum")
    assert describe_format(board) == "the leader at the end wins"
    assert describe_format(race) == "the first to reach 500 points wins"
    assert describe_format(Challenge(format="leaderboard", top_n=3)) == "the top 3 at the end win"
