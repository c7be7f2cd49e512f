"""Big generated CRM exports for the import-job tests: HubSpot-like deals of known reps."""

from __future__ import annotations

from collections.abc import Sequence

REPS = 20
HEADER = (
    "Record ID,Deal Name,Deal Stage,Amount,Create Date,Close Date,Deal owner,Associated Company"
)


def rep_email(index: int) -> str:
    return f"rep{index}@big.test"


def hubspot_export(rows: int, *, prefix: str = "BIG", owners: Sequence[str] = ()) -> bytes:
    """`rows` deals of REPS reps (rep_email; or of `owners`, by turns), US dates: every tenth
    won (two events: created, then won), the others open (one event): events_of(rows)."""
    owners = owners or [rep_email(i) for i in range(REPS)]
    lines = [HEADER]
    for i in range(rows):
        month, day = 1 + (i // 28) % 12, 1 + i % 28
        won = i % 10 == 0
        stage, close = (
            ("Closed Won", f"{month:02d}/{day:02d}/2025") if won else ("Appointment Scheduled", "")
        )
        lines.append(
            f"{prefix}{i},Deal {i},{stage},{100 + i % 900},{month:02d}/{day:02d}/2024,{close},"
            f"{owners[i % len(owners)]},Company {i % 500}"
        )
    return ("\n".join(lines) + "\n").encode()


def events_of(rows: int) -> int:
    return rows + (rows + 9) // 10
