"""`icon('trophy')` in any template: a Lucide icon from the vendored sprite (web/icon_sprite.py
builds it from the icons the templates name). Decorative by default (hidden from screen
readers, the words beside it say the thing); give `label` when the icon stands alone."""

from __future__ import annotations

import re

from flask import url_for
from markupsafe import Markup, escape

from web.pages import bp

NAME = re.compile(r"^[a-z0-9-]+$")


@bp.app_template_global("icon")
def icon(name: str, label: str | None = None, size: str = "") -> Markup:
    if not NAME.match(name):
        raise ValueError(f"not an icon name: {name!r}")
    sprite = url_for("static", filename="vendor/icons.svg")
    role = f'role="img" aria-label="{escape(label)}"' if label else 'aria-hidden="true"'
    classes = f"icon icon-{size}" if size else "icon"
    # Safe: the name matched [a-z0-9-]+, the label went through escape, the URL is our own.
    return Markup(  # noqa: S704
        f'<svg class="{classes}" {role} focusable="false"><use href="{sprite}#{name}"/></svg>'
    )
