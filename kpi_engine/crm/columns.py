"""The CRM export formats SalesQuest reads: which column holds which field, per format."""

from __future__ import annotations

from collections.abc import Sequence

from kpi_engine.errors import Invalid
from kpi_engine.words import N_, said

FIELDS = (
    "deal_id", "owner", "stage", "amount", "created", "engaged", "closed",
    "account", "product", "segment", "source", "currency",
)  # fmt: skip
REQUIRED = ("deal_id", "owner", "stage")
DATE_FIELDS = ("created", "engaged", "closed")
# Each format lists, per field, the column names its exports use (first found wins).
EXPORT_COLUMNS: dict[str, dict[str, tuple[str, ...]]] = {
    "sample": {
        "deal_id": ("opportunity_id",),
        "owner": ("sales_agent",),
        "stage": ("deal_stage",),
        "amount": ("close_value",),
        "engaged": ("engage_date",),
        "closed": ("close_date",),
        "account": ("account",),
        "product": ("product",),
    },
    "hubspot": {
        "deal_id": ("Deal ID", "Record ID"),
        "owner": ("Deal owner", "Deal Owner"),
        "stage": ("Deal Stage",),
        "amount": ("Amount",),
        "created": ("Create Date",),
        "closed": ("Close Date",),
        "account": ("Associated Company", "Company name", "Deal Name"),
        "product": ("Product", "Products"),
        "segment": ("Industry", "Deal Type"),
        "source": ("Original Source Type", "Original Source"),
        "currency": ("Currency", "Deal currency code"),
    },
    "salesforce": {
        "deal_id": ("Opportunity ID", "Opportunity Id"),
        "owner": ("Opportunity Owner", "Opportunity Owner Email"),
        "stage": ("Stage",),
        "amount": ("Amount",),
        "created": ("Created Date",),
        "closed": ("Close Date",),
        "account": ("Account Name",),
        "product": ("Product Name", "Product"),
        "segment": ("Industry", "Type"),
        "source": ("Lead Source",),
        "currency": ("Opportunity Currency", "Amount Currency", "Currency"),
    },
}
# A roster names the people who own deals, per field the column names rosters use (first found
# wins): the sample's sales_teams.csv, HubSpot's users export (Settings → Users & Teams → Export
# users), a Salesforce users report, or a file of one's own with these columns.
ROSTER_COLUMNS: dict[str, tuple[str, ...]] = {
    "name": ("sales_agent", "Full Name", "Full name", "Name", "name"),
    "first_name": ("First Name", "First name", "FirstName", "first_name"),
    "last_name": ("Last Name", "Last name", "LastName", "last_name"),
    "email": ("email", "Email", "Email Address", "Email address", "E-mail"),
    "team": ("team", "Team", "Teams", "Primary Team", "Primary team", "Assigned teams"),
    "manager": ("manager", "Manager", "Manager: Full Name", "Manager Name", "Manager name"),
    "region": ("regional_office", "region", "Region", "Division"),
    "active": ("active", "Active", "IsActive"),
}
CATALOGUE_COLUMNS = {"product", "sales_price"}


def roster_columns(header: Sequence[str], mapping: dict[str, str] | None) -> dict[str, str] | None:
    """The roster fields a header carries, or None when the file is no roster: a roster names
    people (a full name, or first and last names) with an email, a team or a manager, and has
    no deal id column of any export (nor the mapping's)."""
    names = set(header)
    deal_ids = {c for columns in EXPORT_COLUMNS.values() for c in columns["deal_id"]}
    if names & (deal_ids | {(mapping or {}).get("deal_id", "")}):
        return None
    found = {f: next((c for c in cs if c in names), "") for f, cs in ROSTER_COLUMNS.items()}
    chosen = {f: c for f, c in found.items() if c}
    named = "name" in chosen or {"first_name", "last_name"} <= set(chosen)
    return chosen if named and {"email", "team", "manager"} & set(chosen) else None


def detect_format(header: Sequence[str]) -> str:
    """The export format whose identifying columns the header carries."""
    names = set(header)
    for fmt, columns in EXPORT_COLUMNS.items():
        if any(c in names for c in columns["deal_id"]) and any(
            c in names for c in columns["owner"]
        ):
            return fmt
    raise Invalid(
        N_("the file's columns match no known export"),
        {"format": [N_("name the format (sample, hubspot, salesforce) or give a column mapping")]},
    )


def columns_for(fmt: str, header: Sequence[str], mapping: dict[str, str] | None) -> dict[str, str]:
    if fmt not in EXPORT_COLUMNS and not mapping:
        known_formats = ", ".join(EXPORT_COLUMNS)
        raise Invalid(
            N_("unknown format %(format)r"),
            {"format": [said(N_("one of %(names)s"), names=known_formats)]},
            format=fmt,
        )
    known = EXPORT_COLUMNS.get(fmt, {})
    found = {f: next((c for c in names if c in header), "") for f, names in known.items()}
    chosen = {f: c for f, c in (found | (mapping or {})).items() if c}
    unknown = sorted(set(mapping or {}) - set(FIELDS))
    missing = [f for f in REQUIRED if f not in chosen]
    absent = sorted(c for c in chosen.values() if c not in header)
    problems: dict[str, list[str]] = {
        "mapping": [
            said(
                N_("unknown field %(field)r; fields are %(fields)s"),
                field=f,
                fields=", ".join(FIELDS),
            )
            for f in unknown
        ],
        "columns": [
            *(said(N_("no column for %(field)s"), field=f) for f in missing),
            *(said(N_("no column %(column)r"), column=c) for c in absent),
        ],
    }
    if unknown or missing or absent:
        raise Invalid(N_("the %(format)s columns do not fit the file"), problems, format=fmt)

    return chosen
