"""The permission layer for views: who must be logged in, and which app roles may pass."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast

from flask import abort
from flask_login import current_user

from kpi_engine.org.models import User

F = TypeVar("F", bound=Callable[..., Any])


def actor() -> User:
    """The logged-in user, as the domain model (views call this after a role check)."""
    return cast(User, current_user._get_current_object())


def roles_required(*roles: str) -> Callable[[F], F]:
    """401 for anonymous requests, 403 for a logged-in user whose app role is not listed."""

    def decorate(view: F) -> F:
        @wraps(view)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                abort(401)
            if current_user.app_role not in roles:
                abort(403, description=f"this needs the role {' or '.join(roles)}")
            return view(*args, **kwargs)

        return cast(F, guarded)

    return decorate


login_required = roles_required("rep", "manager", "admin")
manager_required = roles_required("manager", "admin")
admin_required = roles_required("admin")
