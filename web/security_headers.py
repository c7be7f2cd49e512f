"""The headers that tell a browser what our pages may do: load only our own scripts, never be
framed, never sniff a type, and not leak our URLs (a wall-screen link holds a token) to others.

A small after_request rather than flask-talisman: its last release is from 2023, and four
fixed headers need no options. The pages have no inline script or event handler (every script
is a file under /static), so script-src is 'self' alone. Styles allow 'unsafe-inline' because
a few templates carry a style block or attribute; CSS cannot run code.
"""

from __future__ import annotations

from flask import Flask, Response

CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",  # the Socket.IO websocket is same-origin
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
}


def _add_headers(response: Response) -> Response:
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    return response


def init_app(app: Flask) -> None:
    app.after_request(_add_headers)
