"""People and teams kept in the product: every change checked field by field, refused for anyone
but an admin or the command line, and audited with who, when, before and after."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kpi_engine.errors import Conflict, Forbidden, Invalid, NotFound
from kpi_engine.org.audit import org_changes
from kpi_engine.org.history import stints
from kpi_engine.org.models import ApiToken, OrgChange, PastMembership, User
from kpi_engine.org.people import add_person, change_person
from kpi_engine.org.teams import change_team, create_team, find_team
from tests.factories import make_team, make_user

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def admin(session: Session) -> User:
    return make_user(session, name="Ada Admin", app_role="admin")


def test_an_admin_creates_a_team_with_its_region_and_manager_and_it_is_audited(
    session: Session, admin: User
) -> None:
    boss = make_user(session, name="Mel Boss", app_role="manager")
    given = {"name": "  Team North ", "region": "North", "manager_id": boss.id}
    team = create_team(session, given, actor=admin, now=NOW)
    assert (team.name, team.region, team.manager) == ("Team North", "North", boss)
    [change] = org_changes(session, team_id=team.id)
    assert (change.action, change.actor_name, change.actor_id, change.at) == (
        "team.created", "Ada Admin", admin.id, NOW,
    )  # fmt: skip
    assert change.before == {} and change.after == {
        "name": "Team North",
        "region": "North",
        "manager": "Mel Boss",
    }


def test_a_rename_and_a_new_manager_are_audited_with_the_values_before_and_after(
    session: Session, admin: User
) -> None:
    old, new = (make_user(session, name=n, app_role="manager") for n in ("Old Boss", "New Boss"))
    team = make_team(session, "Team South", manager=old)
    later = NOW + timedelta(hours=1)
    change_team(session, team.id, {"name": "Team Deep South", "manager_id": new.id},
                actor=admin, now=later)  # fmt: skip
    [change] = org_changes(session, team_id=team.id)
    assert change.before == {"name": "Team South", "manager": "Old Boss"}
    assert change.after == {"name": "Team Deep South", "manager": "New Boss"}
    assert find_team(session, "team deep south") is team


@pytest.mark.parametrize(
    ("given", "field", "error"),
    [
        ({"name": "   "}, "name", Invalid),
        ({"name": "x" * 121}, "name", Invalid),
        ({"name": "TEAM EAST"}, "name", Conflict),
        ({"manager_id": 999_999}, "manager_id", Invalid),
        ({"manager_id": "rep"}, "manager_id", Invalid),
        ({"colour": "red"}, "colour", Invalid),
    ],
)
def test_a_bad_team_change_names_its_field_and_changes_nothing(
    session: Session, admin: User, given: dict[str, object], field: str, error: type
) -> None:
    rep = make_user(session, name="Rita Rep")
    make_team(session, "Team East")
    team = make_team(session, "Team West")
    given = {k: rep.id if v == "rep" else v for k, v in given.items()}
    with pytest.raises(error) as refused:
        change_team(session, team.id, given, actor=admin, now=NOW)
    assert field in refused.value.fields
    if given.get("manager_id") == rep.id:
        assert refused.value.fields[field] == ["Rita Rep is a rep; make them a manager first"]
    assert team.name == "Team West" and team.manager is None
    assert not org_changes(session)


def test_only_an_admin_or_the_command_line_changes_teams_and_people(session: Session) -> None:
    boss = make_user(session, app_role="manager")
    team = make_team(session, manager=boss)
    rep = make_user(session, team=team)
    with pytest.raises(Forbidden):
        create_team(session, {"name": "Mine"}, actor=boss, now=NOW)
    with pytest.raises(Forbidden):
        change_team(session, team.id, {"name": "Renamed"}, actor=boss, now=NOW)
    with pytest.raises(Forbidden):
        change_person(session, rep.id, {"sales_role": "SDR"}, actor=boss, now=NOW)
    with pytest.raises(Forbidden):
        add_person(session, {"email": "x@y.test", "name": "X"}, actor=rep, now=NOW)
    created = create_team(session, {"name": "By script"}, actor=None, now=NOW)
    assert org_changes(session, team_id=created.id)[0].actor_name == "command line"


def test_an_admin_adds_a_person_with_their_crm_user_id(session: Session, admin: User) -> None:
    team = make_team(session, "Team Hall")
    given = {"email": " Moses.Frase@Acme.test ", "name": "Moses Frase", "app_role": "rep",
             "sales_role": "AE", "team_id": team.id, "crm_user_id": "Moses Frase"}  # fmt: skip
    user = add_person(session, given, actor=admin, now=NOW)
    assert (user.email, user.team, user.crm_user_id, user.active) == (
        "moses.frase@acme.test", team, "Moses Frase", True,
    )  # fmt: skip
    [change] = org_changes(session, user_id=user.id)
    assert change.action == "user.created" and change.after["team"] == "Team Hall"


@pytest.mark.parametrize(
    ("given", "field", "error"),
    [
        ({"email": "not-an-email", "name": "N"}, "email", Invalid),
        ({"email": "a@acme.testb@acme.test", "name": "N"}, "email", Invalid),
        ({"email": "a b@acme.test", "name": "N"}, "email", Invalid),
        ({"email": "taken@acme.test", "name": "N"}, "email", Conflict),
        ({"email": "n@acme.test", "name": "N", "crm_user_id": "CRM-1"}, "crm_user_id", Conflict),
        ({"email": "n@acme.test", "name": "N", "team_id": 999_999}, "team_id", Invalid),
        ({"email": "n@acme.test", "name": "N", "app_role": "boss"}, "app_role", Invalid),
        ({"email": "n@acme.test", "name": "N", "sales_role": "VP"}, "sales_role", Invalid),
        ({"email": "n@acme.test"}, "name", Invalid),
    ],
)
def test_a_bad_new_person_names_the_field_and_adds_no_one(
    session: Session, admin: User, given: dict[str, object], field: str, error: type
) -> None:
    make_user(session, email="taken@acme.test", crm_user_id="CRM-1")
    before = session.scalar(select(func.count(User.id)))
    with pytest.raises(error) as refused:
        add_person(session, given, actor=admin, now=NOW)
    assert field in refused.value.fields
    assert session.scalar(select(func.count(User.id))) == before


def test_a_move_keeps_the_team_left_as_a_past_membership_and_is_audited(
    session: Session, admin: User
) -> None:
    east, west = make_team(session, "East"), make_team(session, "West")
    rep = make_user(session, name="Rita Rep", team=east)
    first, second = NOW, NOW + timedelta(days=30)
    change = change_person(session, rep.id, {"team_id": west.id}, actor=admin, now=first)
    assert change.audience_changed and rep.team is west
    change_person(session, rep.id, {"team_id": None}, actor=admin, now=second)
    assert [(s.team, s.start, s.end) for s in stints(session, rep)] == [
        (None, second, None),
        ("West", first, second),
        ("East", None, first),
    ]
    trail = org_changes(session, user_id=rep.id)
    assert [(c.before, c.after) for c in trail] == [
        ({"team": "West"}, {"team": None}),
        ({"team": "East"}, {"team": "West"}),
    ]


def test_moving_someone_to_their_own_team_records_nothing(session: Session, admin: User) -> None:
    team = make_team(session)
    rep = make_user(session, team=team)
    change = change_person(session, rep.id, {"team_id": team.id}, actor=admin, now=NOW)
    assert not change.audience_changed
    assert not session.scalar(select(func.count(PastMembership.id)))
    assert not session.scalar(select(func.count(OrgChange.id)))


def test_deactivating_someone_ends_their_sessions_and_revokes_their_tokens(
    session: Session, admin: User
) -> None:
    rep = make_user(session)
    session.add(ApiToken(user=rep, digest="d" * 64, prefix="sq_abc"))
    session.flush()
    version = rep.session_version
    change_person(session, rep.id, {"active": False}, actor=admin, now=NOW)
    assert not rep.active and rep.session_version > version
    assert session.scalar(select(ApiToken.revoked_at).where(ApiToken.user_id == rep.id)) == NOW
    [change] = org_changes(session, user_id=rep.id)
    assert (change.before, change.after) == ({"active": True}, {"active": False})


def test_nobody_demotes_or_deactivates_themself(session: Session, admin: User) -> None:
    make_user(session, app_role="admin")
    for given, field in (({"app_role": "rep"}, "app_role"), ({"active": False}, "active")):
        with pytest.raises(Forbidden) as refused:
            change_person(session, admin.id, given, actor=admin, now=NOW)
        assert field in refused.value.fields
    assert admin.app_role == "admin" and admin.active


def test_a_team_manager_keeps_the_role_until_their_teams_have_another(
    session: Session, admin: User
) -> None:
    boss = make_user(session, name="Mel Boss", app_role="manager")
    make_team(session, "Team Boss", manager=boss)
    for given, field in (({"app_role": "rep"}, "app_role"), ({"active": False}, "active")):
        with pytest.raises(Conflict) as refused:
            change_person(session, boss.id, given, actor=admin, now=NOW)
        assert refused.value.fields == {
            field: ["manages Team Boss: give the team another manager first"]
        }


def test_the_last_active_admin_stays_one(session: Session, admin: User) -> None:
    with pytest.raises(Conflict) as refused:
        change_person(session, admin.id, {"app_role": "manager"}, actor=None, now=NOW)
    assert refused.value.fields == {"app_role": ["the last active admin stays one"]}


def test_a_taken_crm_user_id_names_its_holder(session: Session, admin: User) -> None:
    make_user(session, name="Moses Frase", crm_user_id="Moses Frase")
    rep = make_user(session, name="Moe")
    with pytest.raises(Conflict) as refused:
        change_person(session, rep.id, {"crm_user_id": "moses frase"}, actor=admin, now=NOW)
    assert refused.value.fields == {"crm_user_id": ["already Moses Frase's"]}


def test_an_unknown_person_or_team_is_not_found(session: Session, admin: User) -> None:
    with pytest.raises(NotFound):
        change_person(session, 999_999, {"name": "X"}, actor=admin, now=NOW)
    with pytest.raises(NotFound):
        change_team(session, 999_999, {"name": "X"}, actor=admin, now=NOW)
