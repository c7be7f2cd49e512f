"""The human text of errors in the reader's language; the codes stay stable.

Marshmallow's fixed messages and the API's own sentences are catalogue entries (listed here so
the extractor finds them); `in_words` writes a domain `Said` (a sentence built with values)
again from its template in the reader's language, translates a message the catalogue knows,
and leaves any other as it is."""

from __future__ import annotations

from typing import Any

from kpi_engine.words import N_
from web.formats import written

MARSHMALLOW = (
    N_("Field may not be null."),
    N_("Invalid type."),
    N_("Invalid value."),
    N_("Invalid input type."),
    N_("Missing data for required field."),
    N_("Unknown field."),
    N_("Not a valid URL."),
    N_("Not a valid boolean."),
    N_("Not a valid date."),
    N_("Not a valid datetime."),
    N_("Not a valid email address."),
    N_("Not a valid integer."),
    N_("Not a valid list."),
    N_("Not a valid mapping type."),
    N_("Not a valid number."),
    N_("Not a valid string."),
    N_("Number too large."),
    N_("Special numeric values (nan or infinity) are not permitted."),
)
INVALID_REQUEST = N_("the request has fields that are not valid")
# Flask-WTF's fixed reasons a form's CSRF token is refused, written inside CSRF below.
CSRF_REASONS = (
    N_("The CSRF token is missing."),
    N_("The CSRF token has expired."),
    N_("The CSRF session token is missing."),
    N_("The CSRF tokens do not match."),
    N_("The CSRF token is invalid."),
    N_("The referrer header is missing."),
    N_("The referrer does not match the host."),
)
# Said for an HTTP error raised with werkzeug's own (English) description; an error raised with
# a description of ours keeps it.
HTTP_ERRORS = {
    400: N_("the request could not be read"),
    403: N_("you may not do this"),
    404: N_("there is nothing at this address; check it, or start again from the home page"),
    405: N_("this address does not take this kind of request"),
    409: N_("this conflicts with a change made meanwhile; reload and try again"),
    413: N_("what was sent is too large"),
    415: N_("this kind of content is not accepted here"),
    422: INVALID_REQUEST,
    500: N_("something went wrong on our side; nothing was changed"),
}
DATABASE_DOWN = N_("the database is unreachable; retry shortly")
CSRF = N_("the form's CSRF token is missing or wrong (%(why)s)")
RATE_LIMITED = N_("too many requests: %(why)s")


def in_words(message: Any) -> Any:
    """A message, a list of them or a mapping of them by field, translated where known."""
    if isinstance(message, str):
        return written(message)
    if isinstance(message, list):
        return [in_words(m) for m in message]
    if isinstance(message, dict):
        return {k: in_words(v) for k, v in message.items()}
    return message
