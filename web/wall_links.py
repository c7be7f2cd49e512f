"""Wall-screen links: a revocable token that opens one challenge's board read-only.

A link is kept as an ApiToken row of the manager who made it (so it dies with their account
and is revoked the same way), named "wall:<challenge id>". Its digest is an HMAC under the
app's secret, never the plain SHA-256 that bearer authentication compares: the token in a TV's
URL can open the board and nothing else.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from functools import cache

from flask import current_app
from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from gameplay.core.models import Challenge
from kpi_engine.db import utcnow
from kpi_engine.org.models import ApiToken, User

PREFIX = "wall"


def _name(challenge_id: int) -> str:
    return f"{PREFIX}:{challenge_id}"


def _digest(token: str) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, f"wall-link:{token}".encode(), hashlib.sha256).hexdigest()


def create_wall_link(session: Session, challenge: Challenge, owner: User) -> str:
    """A new link token for the challenge's wall screen (shown once, stored as a digest)."""
    token = secrets.token_urlsafe(24)
    row = ApiToken(user=owner, name=_name(challenge.id), digest=_digest(token), prefix=PREFIX)
    session.add(row)
    return token


def wall_links(session: Session, challenge_id: int) -> list[ApiToken]:
    """The challenge's links still in force, newest first."""
    query = select(ApiToken).where(
        ApiToken.name == _name(challenge_id), ApiToken.revoked_at.is_(None)
    )
    return list(session.scalars(query.order_by(ApiToken.id.desc())))


def revoke_wall_links(session: Session, challenge_id: int) -> int:
    """Revoke every link of the challenge; screens showing it are refused on reconnect."""
    links = wall_links(session, challenge_id)
    for link in links:
        link.revoked_at = utcnow()
    return len(links)


def wall_for_token(session: Session, token: str) -> tuple[Challenge, User] | None:
    """The challenge a link opens and the manager who made it (whose access the wall's
    slides are checked against), or None for an unknown or revoked link."""
    row = session.scalar(
        select(ApiToken).where(ApiToken.digest == _digest(token), ApiToken.revoked_at.is_(None))
    )
    if row is None or not row.name.startswith(f"{PREFIX}:") or not row.user.active:
        return None
    challenge = session.get(Challenge, int(row.name.split(":", 1)[1]))
    return (challenge, row.user) if challenge is not None else None


def walls_in_force(session: Session) -> set[int]:
    """The challenges with a wall-screen link in force: the walls that may be on a TV now."""
    names = session.scalars(_in_force())
    return {int(n.split(":", 1)[1]) for n in names if n.startswith(f"{PREFIX}:")}


@cache
def _in_force() -> Select[str]:
    # Built once: it runs on every commit that moves a board, and composing it cost more
    # than running it.
    return (
        select(ApiToken.name)
        .join(User, User.id == ApiToken.user_id)
        .where(ApiToken.prefix == PREFIX, ApiToken.revoked_at.is_(None), User.active.is_(True))
    )
