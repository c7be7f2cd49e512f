"""Owners of a CRM export matched to users: by email or CRM user id, through a roster (its email
column honoured; the sample's, HubSpot's users export, a Salesforce users report), and by a full
name only as a last resort when exactly one user has it, which the plan says."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kpi_engine.crm.importer import (
    OWNER_AMBIGUOUS,
    CsvFile,
    ImportOptions,
    ImportPlan,
    plan_import,
    prepare_import,
)
from kpi_engine.demo.org import SAMPLE_DIR
from kpi_engine.org.audit import org_changes
from kpi_engine.org.models import Team, User
from kpi_engine.org.people import add_person, change_person
from kpi_engine.sales.ingest import ingest_events
from kpi_engine.sales.models import Deal
from tests.factories import make_team, make_user

DATA = Path(__file__).resolve().parent.parent / "data"
NOW = datetime(2026, 11, 2, 12, 0, tzinfo=UTC)


def csv(name: str, text: str) -> CsvFile:
    return CsvFile(name, text.encode())


def on_disk(*names: str) -> list[CsvFile]:
    return [CsvFile(n, (DATA / n).read_bytes()) for n in names]


def plans(session: Session, files: list[CsvFile], **options: object) -> list[ImportPlan]:
    return plan_import(session, files, ImportOptions(**options), now=NOW)  # type: ignore[arg-type]


def imported(session: Session, plan: ImportPlan, actor: User | None = None) -> int:
    assert plan.ok, (plan.errors, [r.errors for r in plan.rejected[:3]])
    events = prepare_import(session, plan, now=NOW, actor=actor)
    result = ingest_events(session, events, source="import", now=NOW)
    assert not result.rejected
    return len(result.accepted)


def owners_of_deals(session: Session) -> dict[str, str]:
    rows = session.execute(select(Deal.crm_id, User.email).join(User, Deal.owner_id == User.id))
    return dict(rows.all())


def test_a_rep_created_by_hand_with_a_crm_id_matches_hubspot_deal_owners_by_name(
    session: Session,
) -> None:
    admin = make_user(session, app_role="admin")
    for name, email in (("Moses Frase", "moses"), ("Darcel Schlecht", "darcel")):
        given = {"email": f"{email}@acme.test", "name": name, "crm_user_id": name}
        add_person(session, given, actor=admin, now=NOW)
    [plan] = plans(session, on_disk("hubspot_deals_by_owner_name.csv"))
    assert plan.format == "hubspot" and plan.totals() == "4 rows: 4 accepted, 0 rejected"
    assert not plan.name_matches  # matched by CRM user id, for certain
    imported(session, plan)
    assert owners_of_deals(session) == {
        "12M4HB7G": "moses@acme.test", "12M4HB7H": "moses@acme.test",
        "12M4HB7J": "darcel@acme.test", "12M4HB7K": "darcel@acme.test",
    }  # fmt: skip


def test_an_owner_is_matched_by_full_name_only_when_one_user_has_it_and_the_plan_says_so(
    session: Session,
) -> None:
    moses = make_user(session, name="Moses  FRASE", email="moses@acme.test")
    make_user(session, name="Darcel Schlecht", email="darcel@acme.test")
    [plan] = plans(session, on_disk("hubspot_deals_by_owner_name.csv"))
    assert [(m.owner, m.email, rows) for m, rows in plan.name_matches] == [
        ("Darcel Schlecht", "darcel@acme.test", 2),
        ("Moses Frase", "moses@acme.test", 2),
    ]
    first = imported(session, plan)
    assert owners_of_deals(session)["12M4HB7G"] == "moses@acme.test"
    # Made certain afterwards, the same export is recognised event for event.
    change_person(session, moses.id, {"crm_user_id": "Moses Frase"}, actor=None, now=NOW)
    [again] = plans(session, on_disk("hubspot_deals_by_owner_name.csv"))
    assert len(again.unchanged) == 4 and [m.owner for m, _ in again.name_matches] == [
        "Darcel Schlecht"
    ]
    assert first and imported(session, again) == 0


def test_a_name_two_users_share_matches_nobody_and_names_them(session: Session) -> None:
    make_user(session, name="Moses Frase", email="moses.f@acme.test")
    make_user(session, name="moses frase", email="moses.frase@acme.test")
    make_user(session, name="Darcel Schlecht", crm_user_id="Darcel Schlecht")
    [plan] = plans(session, on_disk("hubspot_deals_by_owner_name.csv"))
    assert not plan.ok and [r.line for r in plan.rejected] == [2, 3]
    assert plan.rejected[0].errors["Deal owner"] == [
        "owner 'Moses Frase' could be any of Moses Frase <moses.f@acme.test>, moses frase"
        " <moses.frase@acme.test>: give each a CRM user id"
    ]
    [group] = plan.rejection_groups()
    assert group.kind == OWNER_AMBIGUOUS
    assert group.summary == (
        "Deal owner: owner shared by several users for 1 owner on 2 rows — Moses Frase (2 rows)"
        " (give each of them their CRM user id on the People page, then import again)"
    )


def test_a_hubspot_users_export_is_a_roster_whose_emails_and_teams_are_kept(
    session: Session,
) -> None:
    admin = make_user(session, name="Ada Admin", app_role="admin")
    [plan] = plans(session, on_disk("hubspot_deals_by_owner_name.csv", "hubspot_users.csv"))
    assert [(p.name, p.email, p.role, p.place) for p in plan.people] == [
        ("Moses Frase", "moses.frase@acme.test", "rep", "in Central West"),
        ("Darcel Schlecht", "darcel@acme.test", "rep", "in Central West"),
    ]
    imported(session, plan, actor=admin)
    team = session.scalar(select(Team).where(Team.name == "Central West"))
    assert team is not None and sorted(u.email for u in team.members) == [
        "darcel@acme.test", "moses.frase@acme.test",
    ]  # fmt: skip
    assert owners_of_deals(session)["12M4HB7G"] == "moses.frase@acme.test"
    added = org_changes(session, user_id=team.members[0].id)
    assert [(c.action, c.actor_name) for c in added] == [
        ("user.created", "Ada Admin, importing hubspot_deals_by_owner_name.csv")
    ]


def test_a_salesforce_users_report_is_a_roster_with_managers_and_inactive_people(
    session: Session,
) -> None:
    files = on_disk("salesforce_by_owner_name.csv", "salesforce_users.csv")
    [plan] = plans(session, files, email_domain="acme.test")
    people = {p.name: (p.email, p.role, p.place, p.active) for p in plan.people}
    assert people == {
        "Moses Frase": ("moses.frase@acme.test", "rep", "in Team Neubert (West)", True),
        "Darcel Schlecht": ("darcel@acme.test", "rep", "in Team Neubert (West)", True),
        "Versie Hillebrand": ("versie@acme.test", "rep", "in Team Neubert (West)", False),
        "Rocco Neubert": ("rocco@acme.test", "manager", "managing Team Neubert (West)", True),
        "Ada Lovelace": ("ada.lovelace@acme.test", "manager", "managing Team Lovelace (West)",
                         True),
    }  # fmt: skip
    imported(session, plan)
    team = session.scalar(select(Team).where(Team.name == "Team Neubert"))
    assert team is not None and team.manager is not None and team.manager.name == "Rocco Neubert"
    versie = session.scalar(select(User).where(User.email == "versie@acme.test"))
    assert versie is not None and not versie.active
    assert owners_of_deals(session)["0065g00000XyZ03"] == "versie@acme.test"


def test_a_roster_email_links_its_person_to_the_user_who_has_it(session: Session) -> None:
    make_user(session, name="M. Frase", email="moses.frase@acme.test")
    make_user(session, name="D. Schlecht", email="darcel@acme.test")
    [plan] = plans(session, on_disk("hubspot_deals_by_owner_name.csv", "hubspot_users.csv"))
    assert not plan.people and not plan.name_matches
    before = session.scalar(select(func.count(User.id)))
    imported(session, plan)
    assert session.scalar(select(func.count(User.id))) == before
    assert owners_of_deals(session)["12M4HB7J"] == "darcel@acme.test"


def test_the_email_column_of_the_sample_roster_is_honoured(session: Session) -> None:
    roster = (SAMPLE_DIR / "sales_teams.csv").read_text().splitlines()
    with_emails = [roster[0] + ",email"] + [
        f"{line},{line.split(',')[0].split()[0].lower()}@acme.test" for line in roster[1:]
    ]
    files = [
        CsvFile("sales_pipeline.csv", (SAMPLE_DIR / "sales_pipeline.csv").read_bytes()),
        csv("sales_teams.csv", "\n".join(with_emails)),
    ]
    [plan] = plans(session, files)
    reps = {p.name: p.email for p in plan.people if p.role == "rep"}
    assert reps["Darcel Schlecht"] == "darcel@acme.test" and len(reps) == 35
    managers = {p.name: p.email for p in plan.people if p.role == "manager"}
    assert managers["Melvin Marxen"] == "melvin.marxen@example.com"  # no row of their own


def test_a_roster_with_a_bad_email_refuses_the_import_naming_the_line(session: Session) -> None:
    roster = csv("owners.csv", "Full Name,Email\nMoses Frase,moses.frase\nDarcel Schlecht,\n")
    [plan] = plans(session, [*on_disk("hubspot_deals_by_owner_name.csv"), roster])
    assert not plan.ok
    assert plan.errors == ["owners.csv line 2: 'moses.frase' is not an email address"]


def test_a_manager_s_import_may_not_add_the_people_of_a_roster(session: Session) -> None:
    files = on_disk("hubspot_deals_by_owner_name.csv", "hubspot_users.csv")
    [plan] = plans(session, files, may_add_people=False)
    assert not plan.ok and plan.errors == [
        "Moses Frase has no user, and only an admin may add people",
        "Darcel Schlecht has no user, and only an admin may add people",
    ]


def test_one_roster_serving_two_deal_files_adds_its_people_once(session: Session) -> None:
    team = make_team(session, "Central West")
    first, second = plans(
        session,
        [*on_disk("hubspot_deals_by_owner_name.csv", "hubspot_users.csv"),
         csv("more.csv", "Record ID,Deal owner,Deal Stage\nX1,Moses Frase,Qualified\n")],
    )  # fmt: skip
    imported(session, first)
    imported(session, second)
    assert len(team.members) == 2 and owners_of_deals(session)["X1"] == "moses.frase@acme.test"
