"""What a rep's board celebrates: a deal won by someone on it.

A won deal is news on the boards where it scored: the challenges whose standings this
transaction moved for the deal's owner. The moments ride in Changes and go out only after
the commit, like the walls' (gameplay/channels/wall_moments.py), so a board never cheers for
a deal that was rolled back. A rep anonymous on boards stays anonymous here.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from gameplay.channels.news import fresh_win
from gameplay.channels.wall_moments import shown_names
from gameplay.core.changes import Changes, Moment
from gameplay.core.models import Challenge
from kpi_engine.sales.folds import FoldedDeal
from kpi_engine.words import N_, said


def board_moments(
    session: Session, changes: Changes, *, won: Sequence[FoldedDeal], now: datetime
) -> list[Moment]:
    """A "deal_won" moment for each board on which a freshly won deal moved its owner."""
    fresh = [deal for deal in won if fresh_win(deal, now)]
    if not fresh or not changes.standings:
        return []
    names = shown_names(session, {deal.owner_id for deal in fresh})
    titles = dict(
        session.execute(
            select(Challenge.id, Challenge.name).where(Challenge.id.in_(changes.standings))
        ).all()
    )
    return [
        _won(challenge_id, titles.get(challenge_id, ""), names.get(deal.owner_id, ""), deal)
        for challenge_id, moved in sorted(changes.standings.items())
        for deal in fresh
        if deal.owner_id in moved
    ]


def _won(challenge_id: int, challenge: str, name: str, deal: FoldedDeal) -> Moment:
    title = said(N_("%(name)s won a deal"), name=name)
    line = said(challenge)  # a demo challenge's name is in the catalogue
    if deal.amount is not None:
        line = said(
            N_("%(challenge)s · %(amount)s %(currency)s"),
            challenge=line,
            amount=deal.amount,
            currency=deal.currency,
        )
    return Moment(challenge_id, "deal_won", title, line, "board")
