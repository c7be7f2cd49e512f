"""Words the pages show for the domain's codes, translated when rendered (lazy)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from web.i18n import LANGUAGE_NAMES, SUPPORTED_LOCALES

NOTIFICATION_KINDS = {
    "points_earned": _l("Points earned"),
    "mission_completed": _l("Mission completed"),
    "badge_earned": _l("Badge earned"),
    "level_reached": _l("Level reached"),
    "overtaken": _l("Overtaken"),
    "challenge_starting": _l("Challenge starting"),
    "challenge_ending": _l("Challenge ending"),
    "proof_reviewed": _l("Proof reviewed"),
}


def languages() -> list[tuple[str, str]]:
    """Each supported language by its own name, for a language picker."""
    return [(code, LANGUAGE_NAMES[code]) for code in SUPPORTED_LOCALES]
