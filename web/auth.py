"""Login and logout, password hashing, personal API tokens, and CSRF for session requests.

A request that names a bearer token is judged by that token alone: the session cookie is then
ignored, so a forged cross-site request cannot ride on the cookie by adding a made-up header,
and CSRF is skipped only when the token is valid. A login session is valid while it carries
its user's session_version; logout, a password change and deactivation raise the version,
which ends every session of that user, wherever it was captured.
"""

from __future__ import annotations

import hashlib
import secrets
from functools import cache
from typing import Any

from flask import (
    Blueprint,
    Flask,
    Response,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext
from flask_login import current_user, login_user, logout_user
from flask_wtf import FlaskForm
from sqlalchemy import Select, bindparam, event, select
from sqlalchemy.orm.base import NO_VALUE
from werkzeug.security import check_password_hash, generate_password_hash
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired

from kpi_engine.db import utcnow
from kpi_engine.org.membership import user_by_email
from kpi_engine.org.models import ApiToken, User
from web.extensions import csrf, db, limiter, login_manager
from web.i18n import remember_browser_locale

bp = Blueprint("auth", __name__)
TOKEN_PREFIX = "sq_"  # noqa: S105 (a label, not a secret)
SESSION_VERSION_KEY = "_sv"


class LoginForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired()])
    password = PasswordField("Password", validators=[DataRequired()])


def hash_password(password: str) -> str:
    return generate_password_hash(password)


def issue_token(user: User, name: str = "integration") -> str:
    """Create a token for a user and return it; only its digest is stored, so show it once."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    db.session.add(ApiToken(user=user, name=name, digest=_digest(token), prefix=token[:10]))
    return token


def revoke_token(token_id: int, owner: User) -> bool:
    row = db.session.get(ApiToken, token_id)
    if row is None or row.user_id != owner.id or row.revoked_at is not None:
        return False
    row.revoked_at = utcnow()
    return True


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


@login_manager.user_loader
def _load_user(user_id: str) -> User | None:
    if bearer_token() is not None:
        return None  # the token alone decides (see _load_user_from_token)
    user = db.session.get(User, int(user_id)) if user_id.isdigit() else None
    if user is None or not user.active:
        return None
    return user if session.get(SESSION_VERSION_KEY) == user.session_version else None


def end_sessions(user: User) -> None:
    """End every login session of the user (their API tokens are revoked separately)."""
    user.session_version = (user.session_version or 0) + 1


@event.listens_for(User.password_hash, "set", active_history=True)
@event.listens_for(User.active, "set", active_history=True)
def _credentials_changed(target: User, value: Any, old: Any, _initiator: Any) -> None:
    # A new password or a deactivation ends the sessions opened before it, whatever path
    # (CLI, admin page, shell) made the change; a user being created has none yet.
    if old is not NO_VALUE and old is not None and value != old:
        end_sessions(target)


@login_manager.request_loader
def _load_user_from_token(_request: object) -> User | None:
    token = bearer_token()
    if token is None:
        return None
    return db.session.scalar(_token_user(), {"digest": _digest(token)})


@cache
def _token_user() -> Select[User]:
    # One statement on the unique digest index: the token's active user, or nobody. Built
    # once with a bound parameter: composing it cost a fifth of the lookup.
    return (
        select(User)
        .join(ApiToken, ApiToken.user_id == User.id)
        .where(
            ApiToken.digest == bindparam("digest"),
            ApiToken.revoked_at.is_(None),
            User.active.is_(True),
        )
    )


def _protect_session_requests() -> None:
    if bearer_token() is not None and current_user.is_authenticated:
        return  # a valid token, which browsers never send on their own, needs no CSRF token
    if _is_api() and not current_user.is_authenticated:
        return  # no credential to forge a request with: the view answers 401
    csrf.protect(apply_exemptions=True)


def _is_api() -> bool:
    return request.path.startswith("/api/")


def _challenge_bearer(response: Response) -> Response:
    """An API 401 says how to authenticate (RFC 6750)."""
    if response.status_code == 401 and _is_api():
        response.headers.setdefault("WWW-Authenticate", 'Bearer realm="salesquest"')
    return response


def init_app(app: Flask) -> None:
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please log in to see that page."
    app.before_request(_protect_session_requests)
    app.after_request(_challenge_bearer)


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"], methods=["POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("pages.home"))
    form = LoginForm()
    if form.validate_on_submit():
        user = user_by_email(db.session(), form.email.data or "")
        if (
            user
            and user.active
            and user.password_hash
            and check_password_hash(user.password_hash, form.password.data or "")
        ):
            session.clear()  # nothing from before the login carries over into the new session
            login_user(user)
            session[SESSION_VERSION_KEY] = user.session_version
            remember_browser_locale(user)  # their notifications' language, if none is chosen
            db.session.commit()
            return redirect(_safe_next() or url_for("pages.home"))
        flash(gettext("Wrong email or password."), "error")
        return render_template("login.html", form=form), 401
    return render_template("login.html", form=form)


def _safe_next() -> str | None:
    target = request.args.get("next", "")
    return target if target.startswith("/") and not target.startswith("//") else None


@bp.post("/logout")
def logout():
    if current_user.is_authenticated and bearer_token() is None:
        end_sessions(current_user._get_current_object())
        db.session.commit()
    logout_user()
    session.clear()
    return redirect(url_for("auth.login"))
