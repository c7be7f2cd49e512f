"""Login and logout, password hashing, personal API tokens, and CSRF for session requests."""

from __future__ import annotations

import hashlib
import secrets

from flask import Blueprint, Flask, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_user, logout_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from werkzeug.security import check_password_hash, generate_password_hash
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired

from kpi_engine.db import utcnow
from kpi_engine.models import ApiToken, User
from kpi_engine.org import user_by_email
from web.extensions import csrf, db, limiter, login_manager

bp = Blueprint("auth", __name__)
TOKEN_PREFIX = "sq_"  # noqa: S105 (a label, not a secret)


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
    user = db.session.get(User, int(user_id)) if user_id.isdigit() else None
    return user if user is not None and user.active else None


@login_manager.request_loader
def _load_user_from_token(_request: object) -> User | None:
    token = bearer_token()
    if token is None:
        return None
    row = db.session.scalar(
        select(ApiToken).where(ApiToken.digest == _digest(token), ApiToken.revoked_at.is_(None))
    )
    return row.user if row is not None and row.user.active else None


def _protect_session_requests() -> None:
    # A bearer token is not sent by browsers on their own, so it needs no CSRF token.
    if bearer_token() is None:
        csrf.protect(apply_exemptions=True)


def init_app(app: Flask) -> None:
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please log in to see that page."
    app.before_request(_protect_session_requests)


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
            login_user(user)
            return redirect(_safe_next() or url_for("pages.home"))
        flash("Wrong email or password.", "error")
        return render_template("login.html", form=form), 401
    return render_template("login.html", form=form)


def _safe_next() -> str | None:
    target = request.args.get("next", "")
    return target if target.startswith("/") and not target.startswith("//") else None


@bp.post("/logout")
def logout():
    logout_user()
    return redirect(url_for("auth.login"))
