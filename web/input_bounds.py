"""Bounds on raw input before any view sees it: ids in URLs, and JSON bodies.

- `<int:...>` in every route is an id converter that answers 404 above what the database holds
  (SQLite and PostgreSQL would otherwise raise an overflow inside the query).
- Every JSON body (request.get_json, and `loads_json` for bodies read by hand) is parsed with
  guards: nesting deeper than MAX_DEPTH, a number that overflows a float (`1e309`), the
  non-standard `NaN`/`Infinity`, and a lone surrogate (`"\\ud800"`, which no database can
  store) are 422s naming where they are, instead of a RecursionError or an encoding error.
- A NUL character, which PostgreSQL refuses in any text column or parameter, is a 422 naming
  its field wherever text comes in: a JSON body, the query string, a form field or a path part.
"""

from __future__ import annotations

import json
import math
from decimal import Decimal
from typing import Any

from flask import Flask, current_app, request
from flask.json.provider import DefaultJSONProvider
from marshmallow import ValidationError
from werkzeug.exceptions import NotFound
from werkzeug.routing import IntegerConverter

# Ids are Integer columns: 32-bit on PostgreSQL, the tighter of the two databases.
ID_MAX = 2**31 - 1
MAX_DEPTH = 20
BODY = "_body"


class IdConverter(IntegerConverter):
    """`<int:id>`: a non-negative whole number no larger than the largest id."""

    def to_python(self, value: str) -> int:
        number = int(super().to_python(value))
        if number > ID_MAX:
            raise NotFound(f"no such record: ids go up to {ID_MAX}, and {value} is above that")
        return number


def _float_or_decimal(text: str) -> float | Decimal:
    # A literal beyond a float's range stays exact, so the field that gets it can say it is
    # above its bound (Amount, BoundedInt) instead of the parser turning it into infinity.
    number = float(text)
    return Decimal(text) if math.isinf(number) else number


def _no_constant(name: str) -> Any:
    raise ValidationError({BODY: [f"{name} is not a JSON number; send a finite number"]})


def loads_json(text: str | bytes) -> Any:
    """Parse JSON with the guards above; ValidationError naming the place, ValueError if not
    JSON at all."""
    try:
        value = json.loads(text, parse_float=_float_or_decimal, parse_constant=_no_constant)
    except RecursionError as exc:
        raise ValidationError({BODY: [f"nested deeper than {MAX_DEPTH} levels"]}) from exc
    except json.JSONDecodeError:
        raise
    except ValueError as exc:  # an integer literal longer than Python's 4300-digit limit
        raise ValidationError({BODY: [f"a number is too long: {exc}"]}) from exc
    check_tree(value)
    return value


def check_tree(value: Any) -> None:
    """Walk a parsed body without recursion: its depth, and every string and key in it."""
    stack: list[tuple[Any, str, int]] = [(value, "", 0)]
    while stack:
        item, path, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise ValidationError({BODY: [f"nested deeper than {MAX_DEPTH} levels"]})
        if isinstance(item, str):
            _check_text(item, path)
        elif isinstance(item, dict):
            for key, child in item.items():
                _check_text(key, path or BODY)
                stack.append((child, f"{path}.{key}" if path else key, depth + 1))
        elif isinstance(item, list):
            for index, child in enumerate(item):
                stack.append((child, f"{path}.{index}" if path else str(index), depth + 1))


def _check_text(text: str, path: str) -> None:
    if "\x00" in text:
        raise ValidationError({path or BODY: ["contains a NUL character (\\u0000); remove it"]})
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ValidationError(
            {path or BODY: ["contains a lone surrogate (\\ud800-\\udfff); send valid Unicode"]}
        ) from exc


class GuardedJSONProvider(DefaultJSONProvider):
    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        return loads_json(s)


# Endpoints that take a CRM upload, bounded by IMPORT_MAX_CONTENT_LENGTH instead.
UPLOAD_ENDPOINTS = {"pages.run_import", "api.post_import"}


def _upload_bound() -> None:
    # Before any hook reads the form (the CSRF check does), or the global bound applies.
    if request.endpoint in UPLOAD_ENDPOINTS:
        request.max_content_length = current_app.config["IMPORT_MAX_CONTENT_LENGTH"]


def _text_bound() -> None:
    # request.form is parsed lazily; reading it here is the same parse the view would do.
    given = [(request.view_args or {}).items(), request.args.items(multi=True)]
    if request.method in ("POST", "PUT", "PATCH"):
        given.append(request.form.items(multi=True))
    for pairs in given:
        for name, value in pairs:
            # A multipart part with an unreadable name comes back with None for it.
            field = name if isinstance(name, str) else "form"
            for text in (name, value):
                if isinstance(text, str):
                    _check_text(text, field)


def init_app(app: Flask) -> None:
    """Install the id converter (before blueprints add their rules), the JSON guards and the
    upload bound (before the other hooks)."""
    app.url_map.converters["int"] = IdConverter
    app.json = GuardedJSONProvider(app)
    app.before_request(_upload_bound)
    app.before_request(_text_bound)
