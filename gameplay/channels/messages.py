"""News as chat messages: one neutral Headline, drawn as Slack blocks (mrkdwn) or as a Microsoft
Teams Adaptive Card, the two bodies their incoming webhooks accept."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# Teams' Workflows webhooks (which replace the retired Office 365 connectors) take Adaptive
# Cards up to 1.4 inside a "message" envelope; the older connectors accept the same envelope.
ADAPTIVE_CARD_VERSION = "1.4"
SIGNATURE = "SalesQuest"


@dataclass(frozen=True)
class Headline:
    """A piece of news: its emoji and title, lines under it, and label/value facts."""

    emoji: str
    title: str
    lines: tuple[str, ...] = ()
    facts: tuple[tuple[str, str], ...] = field(default_factory=tuple)

    @property
    def text(self) -> str:
        """The plain-text form (Slack's notification preview, and the Teams card's summary)."""
        return f"{self.emoji} {self.title}"


def slack_body(headline: Headline) -> dict[str, Any]:
    """A Slack incoming-webhook body: a fallback text and blocks with mrkdwn."""
    text = f"{headline.emoji} *{_slack_escape(headline.title)}*"
    if headline.lines:
        text += "\n" + "\n".join(_slack_escape(line) for line in headline.lines)
    blocks: list[dict[str, Any]] = [{"type": "section", "text": {"type": "mrkdwn", "text": text}}]
    if headline.facts:
        blocks[0]["fields"] = [
            {"type": "mrkdwn", "text": f"*{_slack_escape(k)}*\n{_slack_escape(v)}"}
            for k, v in headline.facts[:10]  # Slack takes at most ten fields in a section
        ]
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": SIGNATURE}]})
    return {"text": headline.text, "blocks": blocks}


def teams_body(headline: Headline) -> dict[str, Any]:
    """A Teams incoming-webhook body: one Adaptive Card in a message attachment."""
    body: list[dict[str, Any]] = [
        {
            "type": "TextBlock",
            "text": headline.text,
            "weight": "Bolder",
            "size": "Medium",
            "wrap": True,
        }
    ]
    body += [{"type": "TextBlock", "text": line, "wrap": True} for line in headline.lines]
    if headline.facts:
        facts = [{"title": k, "value": v} for k, v in headline.facts]
        body.append({"type": "FactSet", "facts": facts})
    body.append({"type": "TextBlock", "text": SIGNATURE, "isSubtle": True, "size": "Small"})
    card = {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": ADAPTIVE_CARD_VERSION,
        "body": body,
    }
    attachment = {"contentType": "application/vnd.microsoft.card.adaptive", "content": card}
    return {"type": "message", "summary": headline.text, "attachments": [attachment]}


BODIES = {"slack": slack_body, "teams": teams_body}


def _slack_escape(text: str) -> str:
    # Slack reads <...> as links and mentions; a rep named "<!channel>" must not ping everyone.
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
