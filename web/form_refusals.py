"""A refused form comes back by a redirect (post, redirect, get): the page it returns to
answers 200, a reload sends nothing twice, and what was typed and what was wrong travel in the
session for that one next page."""

from __future__ import annotations

from typing import Any

from flask import session

KEY = "refused_form"
MAX_TYPED = 2000  # characters kept per field: the session is a cookie


def keep_refusal(form: str, target: int | None, errors: dict[str, str], typed: dict[str, Any]):
    """Remember, for the next page only, which form (and row) was refused, why, and its input."""
    kept = {k: str(v)[:MAX_TYPED] for k, v in typed.items() if k != "csrf_token"}
    session[KEY] = {"form": form, "target": target, "errors": errors, "typed": kept}


def take_refusal(form: str) -> dict[str, Any]:
    """The refusal of this form kept by the last request, once: {target: {"errors", "typed"}}."""
    refusal = session.get(KEY)
    if not refusal or refusal.get("form") != form:
        return {}
    session.pop(KEY)
    return {refusal["target"]: {"errors": refusal["errors"], "typed": refusal["typed"]}}
