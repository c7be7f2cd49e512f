"""Build web/static/vendor/icons.svg: one SVG sprite holding only the Lucide icons the pages use.

Run by `make assets` after `npm ci` (standard library only, so it runs before the venv exists).
The icons come from the lucide-static package (ISC licence) locked in package-lock.json; the
names are every `icon('name')` call in web/templates plus EXTRA (icons drawn from JavaScript);
CSS_ICONS are also copied one file each, for stylesheets (app.css's empty states).
A template asking for an icon Lucide does not have stops the build with its name.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "node_modules" / "lucide-static" / "icons"
TEMPLATES = ROOT / "web" / "templates"
TARGET = ROOT / "web" / "static" / "vendor" / "icons.svg"
EXTRA = ("trophy", "arrow-up", "arrow-down", "x", "party-popper", "medal", "flame")
# Icons a stylesheet draws (as a CSS mask), copied whole to vendor/icons/<name>.svg.
CSS_ICONS = ("inbox",)
CALL = re.compile(r"""icon\(\s*['"]([a-z0-9-]+)['"]""")
BODY = re.compile(r"<svg[^>]*>(.*)</svg>", re.S)
STROKE = ('fill="none" stroke="currentColor" stroke-width="2" '
          'stroke-linecap="round" stroke-linejoin="round"')  # fmt: skip


def used_icons() -> list[str]:
    """Every icon name a template asks for, and those the scripts use."""
    names = set(EXTRA)
    for template in TEMPLATES.rglob("*.html"):
        names.update(CALL.findall(template.read_text(encoding="utf-8")))
    return sorted(names)


def symbol(name: str) -> str:
    path = SOURCE / f"{name}.svg"
    if not path.exists():
        sys.exit(f"icon_sprite: Lucide has no icon named {name!r} ({path} is missing)")
    found = BODY.search(path.read_text(encoding="utf-8"))
    body = " ".join(found.group(1).split()) if found else ""
    return f'<symbol id="{name}" viewBox="0 0 24 24" {STROKE}>{body}</symbol>'


def build() -> Path:
    symbols = "\n".join(symbol(name) for name in used_icons())
    TARGET.parent.mkdir(parents=True, exist_ok=True)
    TARGET.write_text(
        "<!-- Lucide icons (ISC licence), from the lucide-static npm package -->\n"
        f'<svg xmlns="http://www.w3.org/2000/svg">\n{symbols}\n</svg>\n',
        encoding="utf-8",
    )
    for name in CSS_ICONS:
        copy = TARGET.parent / "icons" / f"{name}.svg"
        copy.parent.mkdir(exist_ok=True)
        copy.write_text((SOURCE / f"{name}.svg").read_text(encoding="utf-8"), encoding="utf-8")
    return TARGET


if __name__ == "__main__":
    print(f"icon_sprite: wrote {build().relative_to(ROOT)}")
