"""What the team channels are told, written to the outbox in the transaction that made the news,
and what the sender and the manager's page read of it.

News per team: deals its reps won, a challenge reaching the team starting and ending (with its
winners), a new leader on such a challenge's board, missions its reps finished. One commit
gives at most one post per team and kind of news, however many facts it carried. Posts are
written in the organisation's language: web/ passes its `Words` (English by default).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import Select, exists, func, select
from sqlalchemy.orm import Session

from gameplay.boards.leaderboards import BOARD_ORDER
from gameplay.channels.messages import BODIES, Headline
from gameplay.channels.news import FRESH_WIN, fresh_win
from gameplay.channels.team_channels import ChallengeHeadline, ChannelPost, TeamChannel
from gameplay.core.access import audience_team_ids
from gameplay.core.changes import Changes, Notification
from gameplay.core.lifecycle import challenge_status, is_frozen
from gameplay.core.models import Challenge, ChallengeAward, Participant
from kpi_engine.org.models import User
from kpi_engine.sales.folds import FoldedDeal
from kpi_engine.words import ENGLISH, N_, Words, said, write

# A win closed (or a challenge started) longer ago than this is old news: a backfill, a CSV
# import of last quarter, a challenge already running when its team's channel was connected.
# Lines listed in one post before "and N more".
MOST_LINES = 8


def queue_channel_posts(
    session: Session,
    changes: Changes,
    *,
    now: datetime,
    won: Sequence[FoldedDeal] = (),
    words: Words = ENGLISH,
) -> int:
    """Write the posts this transaction's news makes for the channels that want it, in
    `words`; flushes. Returns how many were written."""
    channels = _channels_by_team(session)
    if not channels:
        return 0
    outbox = _Outbox(session, channels, now, words)
    _queue_wins(session, outbox, [d for d in won if fresh_win(d, now)])
    _queue_missions(session, outbox, changes.notifications)
    for challenge_id in sorted(changes.standings):
        challenge = session.get(Challenge, challenge_id)
        if challenge is not None:
            _queue_challenge_news(session, outbox, challenge)
    session.flush()
    return outbox.written


def queue_started_challenges(session: Session, *, now: datetime, words: Words = ENGLISH) -> int:
    """The scheduler's part: announce the challenges whose start passed since the last look."""
    channels = _channels_by_team(session)
    if not channels:
        return 0
    outbox = _Outbox(session, channels, now, words)
    for challenge in session.scalars(_started_unannounced(now)):
        _queue_challenge_news(session, outbox, challenge)
    session.flush()
    return outbox.written


def any_started_unannounced(session: Session, *, now: datetime) -> bool:
    """Whether `queue_started_challenges` has anything to do (a read, for an idle tick)."""
    if session.scalar(select(TeamChannel.id).limit(1)) is None:
        return False
    return session.scalar(_started_unannounced(now).with_only_columns(Challenge.id)) is not None


class _Outbox:
    def __init__(
        self,
        session: Session,
        channels: dict[int, list[TeamChannel]],
        now: datetime,
        words: Words,
    ):
        self.session, self.channels, self.now, self.written = session, channels, now, 0
        self.words = words

    def say(self, template: str, **values: object) -> str:
        return write(said(template, **values), self.words)

    def post(self, team_ids: Iterable[int], news: str, headline: Headline) -> None:
        for team_id in sorted(set(team_ids)):
            for channel in self.channels.get(team_id, []):
                if channel.wants(news):
                    self.session.add(
                        ChannelPost(
                            channel_id=channel.id,
                            news=news,
                            body=BODIES[channel.kind](headline),
                            status="pending",
                            next_attempt_at=self.now,
                            created_at=self.now,
                        )
                    )
                    self.written += 1


def _channels_by_team(session: Session) -> dict[int, list[TeamChannel]]:
    by_team: dict[int, list[TeamChannel]] = defaultdict(list)
    for channel in session.scalars(select(TeamChannel).order_by(TeamChannel.id)):
        by_team[channel.team_id].append(channel)
    return by_team


def _queue_wins(session: Session, outbox: _Outbox, deals: list[FoldedDeal]) -> None:
    people = _people(session, {d.owner_id for d in deals})
    by_team: dict[int, list[tuple[str, FoldedDeal]]] = defaultdict(list)
    for deal in deals:
        person = people.get(deal.owner_id)
        if person is not None and person.team_id in outbox.channels:
            by_team[person.team_id].append((person.name, deal))
    for team_id, wins in by_team.items():
        if len(wins) == 1:
            name, deal = wins[0]
            title = outbox.say(
                N_("%(name)s won %(deal)s"), name=name, deal=_deal_name(outbox, deal)
            )
            headline = Headline("🏆", title, _deal_lines(deal))
        else:
            lines = [f"{name}: {_deal_name(outbox, deal)}" for name, deal in wins]
            count = len(wins)
            title = outbox.words.ngettext("%(count)s deal won", "%(count)s deals won", count)
            headline = Headline("🏆", title % {"count": count}, _capped(outbox, lines))
        outbox.post([team_id], "wins", headline)


def _deal_name(outbox: _Outbox, deal: FoldedDeal) -> str:
    what = deal.account or outbox.say(N_("a deal"))
    if deal.amount is not None:
        what += f" ({outbox.words.number(deal.amount)} {deal.currency})"
    return what


def _deal_lines(deal: FoldedDeal) -> tuple[str, ...]:
    return tuple(x for x in (deal.product, deal.segment) if x)[:1]


def _queue_missions(session: Session, outbox: _Outbox, notes: list[Notification]) -> None:
    finished = [n for n in notes if n.kind == "mission_completed"]
    people = _people(session, {n.user_id for n in finished})
    names = _challenge_names(session, {n.challenge_id for n in finished if n.challenge_id})
    by_team: dict[int, list[str]] = defaultdict(list)
    for note in finished:
        person = people.get(note.user_id)
        if person is None or person.team_id not in outbox.channels:
            continue
        mission = outbox.words.gettext(str(dict(note.data)["mission"]))
        line = (
            outbox.say(
                N_("%(name)s finished “%(mission)s” in %(challenge)s"),
                name=person.name,
                mission=mission,
                challenge=outbox.words.gettext(names[note.challenge_id]),
            )
            if note.challenge_id in names
            else outbox.say(
                N_("%(name)s finished “%(mission)s”"), name=person.name, mission=mission
            )
        )
        by_team[person.team_id].append(line)
    for team_id, lines in by_team.items():
        count = len(lines)
        title = outbox.words.ngettext("A mission finished", "%(count)s missions finished", count)
        headline = Headline("✅", title % {"count": count}, _capped(outbox, lines))
        outbox.post([team_id], "missions", headline)


def _queue_challenge_news(session: Session, outbox: _Outbox, challenge: Challenge) -> None:
    status = challenge_status(challenge, outbox.now)
    if status not in ("live", "ended"):
        return
    told = {
        h.news: h
        for h in session.scalars(
            select(ChallengeHeadline).where(ChallengeHeadline.challenge_id == challenge.id)
        )
    }
    teams = audience_team_ids(session, challenge) & set(outbox.channels)
    if "started" not in told:
        _remember(session, challenge.id, "started", None, outbox.now)
        # An ended one is announced by its end only; one that started long before the
        # channel was connected is old news.
        if status == "live" and challenge.starts_at >= outbox.now - FRESH_WIN:
            outbox.post(teams, "challenges", _started(outbox, challenge))
    if challenge.finalized_at is not None and "ended" not in told:
        _remember(session, challenge.id, "ended", None, outbox.now)
        outbox.post(teams, "challenges", _ended(session, outbox, challenge))
    # A frozen board is hidden from the reps; the channel must not reveal it either.
    leads = challenge.format != "team_battle" and not is_frozen(challenge, outbox.now)
    if status == "live" and leads:
        _queue_lead(session, outbox, challenge, told.get("leader"), teams)


def _queue_lead(
    session: Session,
    outbox: _Outbox,
    challenge: Challenge,
    told: ChallengeHeadline | None,
    teams: set[int],
) -> None:
    leader = session.scalar(
        select(Participant)
        .where(Participant.challenge_id == challenge.id, Participant.points > 0)
        .order_by(*BOARD_ORDER)
        .limit(1)
    )
    if leader is None or (told is not None and told.user_id == leader.user_id):
        return
    if told is None:
        _remember(session, challenge.id, "leader", leader.user_id, outbox.now)
    else:
        told.user_id, told.at = leader.user_id, outbox.now
    words, count = outbox.words, leader.points
    points = words.ngettext("%(count)s point", "%(count)s points", count)
    title = outbox.say(
        N_("%(name)s takes the lead in %(challenge)s"),
        name=leader.user.name,
        challenge=words.gettext(challenge.name),
    )
    line = outbox.say(N_("with %(points)s"), points=points % {"count": words.number(count)})
    outbox.post(teams, "lead_changes", Headline("👑", title, (line,)))


def _started(outbox: _Outbox, challenge: Challenge) -> Headline:
    return Headline(
        "🚀",
        outbox.say(N_("%(challenge)s has started"), challenge=outbox.words.gettext(challenge.name)),
        (outbox.say(N_("It runs until %(end)s."), end=outbox.words.moment(challenge.ends_at)),),
    )


def _ended(session: Session, outbox: _Outbox, challenge: Challenge) -> Headline:
    awards = session.execute(
        select(ChallengeAward.place, User.name, ChallengeAward.points)
        .join(User, User.id == ChallengeAward.user_id)
        .where(ChallengeAward.challenge_id == challenge.id)
        .order_by(ChallengeAward.place, User.name)
    ).all()
    say, number = outbox.say, outbox.words.number
    facts = tuple(
        (
            say(N_("Place %(place)s"), place=place),
            say(N_("%(name)s · %(points)s pts"), name=name, points=number(points)),
        )
        for place, name, points in awards
    )
    lines = () if awards else (say(N_("Nobody reached a winning place this time.")),)
    title = say(N_("%(challenge)s has ended"), challenge=outbox.words.gettext(challenge.name))
    return Headline("🏁", title, lines, facts[:MOST_LINES])


def _remember(
    session: Session, challenge_id: int, news: str, user_id: int | None, now: datetime
) -> None:
    session.add(ChallengeHeadline(challenge_id=challenge_id, news=news, user_id=user_id, at=now))


def _started_unannounced(now: datetime) -> Select[Challenge]:
    told = exists().where(
        ChallengeHeadline.challenge_id == Challenge.id, ChallengeHeadline.news == "started"
    )
    return select(Challenge).where(
        Challenge.launched_at.isnot(None),
        Challenge.cancelled_at.is_(None),
        Challenge.starts_at <= now,
        Challenge.ends_at > now,
        ~told,
    )


def _people(session: Session, ids: set[int]) -> dict[int, User]:
    if not ids:
        return {}
    return {u.id: u for u in session.scalars(select(User).where(User.id.in_(ids)))}


def _challenge_names(session: Session, ids: set[int | None]) -> dict[int | None, str]:
    if not ids:
        return {}
    query = select(Challenge.id, Challenge.name).where(Challenge.id.in_(ids))
    return dict(session.execute(query).all())


def _capped(outbox: _Outbox, lines: list[str]) -> tuple[str, ...]:
    if len(lines) <= MOST_LINES:
        return tuple(lines)
    more = outbox.say(
        N_("and %(count)s more"), count=outbox.words.number(len(lines) - MOST_LINES + 1)
    )
    return (*lines[: MOST_LINES - 1], more)


# What the sender and the manager's page read (claims and retries: gameplay.channels.deliveries)


def post_channel(session: Session, post: ChannelPost) -> TeamChannel:
    return session.get_one(TeamChannel, post.channel_id)


def delivered_counts(session: Session, channel_ids: Iterable[int]) -> dict[int, dict[str, int]]:
    """Per channel: how many posts are pending, sent and failed (for the manager's page)."""
    ids = list(channel_ids)
    counts: dict[int, dict[str, int]] = {i: {} for i in ids}
    if not ids:
        return counts
    query = (
        select(ChannelPost.channel_id, ChannelPost.status, func.count())
        .where(ChannelPost.channel_id.in_(ids))
        .group_by(ChannelPost.channel_id, ChannelPost.status)
    )
    for channel_id, status, n in session.execute(query):
        counts[channel_id][status] = n
    return counts


def last_errors(session: Session, channel_ids: Iterable[int]) -> dict[int, str]:
    """Per channel: what went wrong with its latest unsent post that failed at least once."""
    query = (
        select(ChannelPost.channel_id, ChannelPost.last_error)
        .where(
            ChannelPost.channel_id.in_(list(channel_ids)),
            ChannelPost.status != "sent",
            ChannelPost.last_error.isnot(None),
        )
        .order_by(ChannelPost.id)
    )
    return {channel_id: error or "" for channel_id, error in session.execute(query)}
