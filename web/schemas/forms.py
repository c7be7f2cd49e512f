"""Reading an HTML form: its fields without the CSRF token, blanks as absent, and a refusal's
errors in words by field (the JSON API reads the same schemas from a body instead)."""

from __future__ import annotations

from typing import Any

from flask import request
from flask_babel import gettext

from web.error_words import in_words


def form_fields(*lists: str) -> dict[str, Any]:
    """The posted form without its CSRF token; `lists` name the fields sent several times."""
    # A multipart part without a readable name comes with the name None: it is no field.
    data: dict[str, Any] = {
        k: v for k, v in request.form.items() if isinstance(k, str) and k != "csrf_token"
    }
    data.update({name: request.form.getlist(name) for name in lists})
    return data


def drop_blank(data: Any) -> Any:
    """A field left empty in a form is absent, not an invalid value."""
    if not isinstance(data, dict):
        return data
    return {k: v for k, v in data.items() if not (isinstance(v, str) and not v.strip())}


def inline_errors(exc: Exception, names: tuple[str, ...]) -> dict[str, str]:
    """A form's errors in words, by field; what belongs to no field of the form is `_form`."""
    found = getattr(exc, "messages", None) or getattr(exc, "fields", None) or {}
    errors = {
        name: _words(in_words(found[name]))
        for name in names
        if isinstance(found, dict) and name in found
    }
    message = in_words(getattr(exc, "message", None))
    if message:  # a domain error's sentence says it better than its field codes
        sentence = message[0].upper() + message[1:] + ("" if message.endswith(".") else ".")
        errors = dict.fromkeys(errors, sentence) or {"_form": sentence}
    return errors or {"_form": gettext("Something in the form is not valid.")}


def _words(messages: Any) -> str:
    if isinstance(messages, list):
        return " ".join(str(m) for m in messages)
    return str(messages)
