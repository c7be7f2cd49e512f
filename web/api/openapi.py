"""The JSON API described as an OpenAPI 3 document, generated from the marshmallow schemas that
validate it: GET /api/v1/openapi.json, and a readable page at GET /api/v1/docs.

Each /api/v1 endpoint has one entry in OPERATIONS naming its query, body and answer schemas;
paths and path parameters come from the app's url_map, so the document lists exactly the routes
that exist (tests/api/test_openapi.py fails when a route has no entry, or an entry no route).

The document speaks the reader's language (the request's locale, as every page): its words
(summaries, who may call, answers' and fields' descriptions, tags' names) are English marked with
`N_` here and translated when it is built, one document per locale. Paths, field and schema
names, codes and enums are the contract and stay as they are.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import Flask, Response, current_app, jsonify, render_template
from flask_babel import get_locale, gettext
from marshmallow import Schema, fields
from werkzeug.routing import Rule

from kpi_engine.words import N_
from web.api import bp
from web.schemas.challenges import (
    AdjustmentSchema,
    BoardQuerySchema,
    ChallengeOutSchema,
    ChallengeSchema,
    LedgerOutSchema,
    ListQuerySchema,
    MissionOutSchema,
    ProofOutSchema,
    ProofSchema,
    ReviewSchema,
    RowSchema,
    TemplateFormSchema,
)
from web.schemas.events import EventSchema
from web.schemas.fields import ID_MAX
from web.schemas.impact import (
    ChallengeImpactSchema,
    CompareQuerySchema,
    IdList,
    ImpactQuerySchema,
    KpiKeys,
    PastCampaignSchema,
)
from web.schemas.imports import ImportJobSchema
from web.schemas.kpis import (
    DecisionOutSchema,
    DecisionSchema,
    DefinitionSchema,
    InputSchema,
    ScorecardQuerySchema,
    TargetOutSchema,
    TargetQuerySchema,
    TargetSchema,
)
from web.schemas.me import (
    CatalogueRewardSchema,
    PreferencesSchema,
    RedeemSchema,
    RedemptionSchema,
    RewardSchema,
)
from web.schemas.push import DeviceListSchema, DeviceSchema, PushSubscriptionSchema
from web.schemas.teams import (
    NewTeamSchema,
    OrgChangeListSchema,
    TeamChangeSchema,
    TeamListSchema,
    TeamSchema,
)
from web.schemas.users import (
    NewPersonSchema,
    PersonChangeSchema,
    UserQuerySchema,
    UserSchema,
)

PREFIX = "/api/v1"
OBJECT: dict[str, Any] = {"type": "object"}


class ErrorDetailSchema(Schema):
    code = fields.String(required=True)
    message = fields.String(required=True)
    fields_ = fields.Dict(required=True, data_key="fields")


class ErrorSchema(Schema):
    """Every 4xx answer: {"error": {"code", "message", "fields"}}."""

    error = fields.Nested(ErrorDetailSchema, required=True)


class ChallengeListSchema(Schema):
    challenges = fields.List(fields.Nested(ChallengeOutSchema), required=True)


class MissionProgressSchema(MissionOutSchema):
    progress = fields.Float()
    completed_at = fields.DateTime(allow_none=True)


class MissionBoardSchema(Schema):
    challenge_id = fields.Integer()
    missions = fields.List(fields.Nested(MissionProgressSchema))


class BoardSchema(Schema):
    challenge_id = fields.Integer()
    version = fields.Integer()
    board = fields.String()
    frozen = fields.Boolean()
    rows = fields.List(fields.Dict(), metadata={"description": N_("RowSchema, or team rows")})
    me = fields.Nested(RowSchema, allow_none=True)


class JoinedSchema(Schema):
    challenge_id = fields.Integer()
    user_id = fields.Integer()
    rank = fields.Integer(allow_none=True)


class ProofListSchema(Schema):
    proofs = fields.List(fields.Nested(ProofOutSchema))


class LedgerSchema(Schema):
    entries = fields.List(fields.Nested(LedgerOutSchema))


class EventBatchSchema(Schema):
    events = fields.List(fields.Nested(EventSchema), required=True)


class RejectedEventSchema(Schema):
    index = fields.Integer()
    id = fields.String(allow_none=True)
    errors = fields.Dict()


class BatchAnswerSchema(Schema):
    accepted = fields.Integer(required=True)
    duplicates = fields.Integer(required=True)
    rejected = fields.List(fields.Nested(RejectedEventSchema), required=True)


class CompareSchema(Schema):
    challenges = fields.List(fields.Nested(ChallengeImpactSchema))


class DefinitionListSchema(Schema):
    definitions = fields.List(fields.Nested(DefinitionSchema))


class TargetListSchema(Schema):
    targets = fields.List(fields.Nested(TargetOutSchema))


class RewardListSchema(Schema):
    balance = fields.Integer()
    rewards = fields.List(fields.Nested(RewardSchema))


class RedemptionListSchema(Schema):
    redemptions = fields.List(fields.Nested(RedemptionSchema))


class UserListSchema(Schema):
    users = fields.List(fields.Nested(UserSchema))


Body = type[Schema] | dict[str, Any]


@dataclass(frozen=True)
class Operation:
    """An endpoint's description; `summary` and `who` are English marked with `N_`."""

    summary: str
    answer: Body = field(default_factory=lambda: OBJECT)
    query: type[Schema] | None = None
    body: Body | None = None
    status: int = 200
    tag: str = "challenges"
    who: str = N_("anyone logged in")
    also: dict[int, Body] = field(default_factory=dict)
    media: str = "application/json"  # the request body's content type


EVENT_BODY = {"oneOf": [{"$ref": "#/components/schemas/Event"},
                        {"$ref": "#/components/schemas/EventBatch"}]}  # fmt: skip
MANAGERS = N_("managers (their teams) and admins")
ADMINS = N_("admins")
# A batch with nothing accepted is a 422 carrying the per-event answer; a body that is no
# event at all is a 422 error.
BATCH_REFUSED = {"oneOf": [{"$ref": "#/components/schemas/BatchAnswer"},
                           {"$ref": "#/components/schemas/Error"}]}  # fmt: skip

# A CRM upload: the files and the import page's choices, as multipart/form-data.
IMPORT_UPLOAD = {
    "type": "object",
    "required": ["files"],
    "properties": {
        "files": {"type": "array", "items": {"type": "string", "format": "binary"},
                  "description": N_("deal exports, with an owners' roster and products.csv")},
        "format": {"type": "string", "enum": ["sample", "hubspot", "salesforce"]},
        "date_format": {"type": "string", "enum": ["iso", "us", "eu"]},
        "mapping": {"type": "string", "description": N_('JSON {"field": "column", ...}')},
    },
}  # fmt: skip

OPERATIONS: dict[str, Operation] = {
    "api.list_challenges_view": Operation(N_("Challenges the caller may see"), ChallengeListSchema,
                                          query=ListQuerySchema),
    "api.create_challenge_view": Operation(N_("Create a challenge (draft)"), ChallengeOutSchema,
                                           body=ChallengeSchema, status=201, who=MANAGERS),
    "api.create_from_template_view": Operation(
        N_("Create a challenge from a template (onboarding, upsell, prospecting)"),
        ChallengeOutSchema, body=TemplateFormSchema, status=201, who=MANAGERS),
    "api.read_challenge_view": Operation(N_("One challenge"), ChallengeOutSchema),
    "api.update_challenge_view": Operation(N_("Edit a draft challenge"), ChallengeOutSchema,
                                           body=ChallengeSchema, who=MANAGERS),
    "api.preview_challenge_view": Operation(N_("Who a challenge would enrol, before launch"),
                                            who=MANAGERS),
    "api.launch_challenge_view": Operation(N_("Launch a draft"), ChallengeOutSchema, who=MANAGERS),
    "api.cancel_challenge_view": Operation(N_("Cancel a challenge"), ChallengeOutSchema,
                                           who=MANAGERS),
    "api.join_challenge_view": Operation(N_("Join an opt-in challenge"), JoinedSchema, status=201),
    "api.leaderboard_view": Operation(
        N_("A challenge's leaderboard (with an ETag: 304 to If-None-Match until it changes)"),
        BoardSchema, query=BoardQuerySchema),
    "api.missions_view": Operation(N_("The caller's missions and progress"), MissionBoardSchema),
    "api.submit_proof_view": Operation(N_("Submit a proof for a manual mission"), ProofOutSchema,
                                       body=ProofSchema, status=201),
    "api.pending_proofs_view": Operation(N_("Proofs waiting for review"), ProofListSchema,
                                         who=MANAGERS),
    "api.review_proof_view": Operation(N_("Approve or reject a proof"), ProofOutSchema,
                                       body=ReviewSchema, who=MANAGERS),
    "api.adjust_points_view": Operation(N_("Adjust a participant's points (with a reason)"),
                                        LedgerOutSchema, body=AdjustmentSchema, status=201,
                                        who=MANAGERS),
    "api.ledger_view": Operation(N_("A challenge's points ledger"), LedgerSchema),
    "api.post_events": Operation(N_("Post one sales event or a batch (idempotent by id)"),
                                 BatchAnswerSchema, body=EVENT_BODY, tag="sales data",
                                 also={422: BATCH_REFUSED}),
    "api.crm_webhook": Operation(N_("CRM push, signed with HMAC-SHA256 (see docs/webhooks.md)"),
                                 BatchAnswerSchema, body=EVENT_BODY, tag="sales data",
                                 who=N_("the CRM, by signature"),
                                 also={422: BATCH_REFUSED, 503: ErrorSchema}),
    "api.post_import": Operation(N_("Import CRM exports as a background job: 202 with the job "
                                 "(its url in Location); see docs/ingest.md"), ImportJobSchema,
                                 body=IMPORT_UPLOAD, status=202, tag="sales data", who=MANAGERS,
                                 media="multipart/form-data"),
    "api.read_import": Operation(N_("An import job's state and progress (rows read, accepted, "
                                 "rejected) and, once finished, its report"), ImportJobSchema,
                                 tag="sales data", who=N_("the job's uploader and admins")),
    "api.challenge_impact_view": Operation(N_("Measured impact of a challenge on KPIs"),
                                           ChallengeImpactSchema, query=ImpactQuerySchema,
                                           tag="impact", who=MANAGERS),
    "api.compare_impact": Operation(N_("Compare challenges by impact"), CompareSchema,
                                    query=CompareQuerySchema, tag="impact", who=MANAGERS),
    "api.record_past_campaign_view": Operation(N_("Record an ended campaign"), ChallengeOutSchema,
                                               body=PastCampaignSchema, status=201,
                                               tag="impact", who=MANAGERS),
    "api.kpi_scorecard": Operation(N_("A scope's balanced scorecard for a period"),
                                   query=ScorecardQuerySchema, tag="kpis"),
    "api.kpi_definitions": Operation(N_("KPI definitions"), DefinitionListSchema, tag="kpis"),
    "api.kpi_targets": Operation(N_("Targets of a scope and period"), TargetListSchema,
                                 query=TargetQuerySchema, tag="kpis"),
    "api.kpi_set_target": Operation(N_("Set a KPI target"), TargetOutSchema, body=TargetSchema,
                                    tag="kpis", who=MANAGERS),
    "api.kpi_set_input": Operation(N_("Set a KPI input (quota, costs, forecast)"), body=InputSchema,
                                   tag="kpis", who=MANAGERS),
    "api.kpi_record_decision": Operation(N_("Log a decision taken on a KPI"), DecisionOutSchema,
                                         body=DecisionSchema, status=201, tag="kpis",
                                         who=MANAGERS),
    "api.my_points": Operation(N_("The caller's points and level"), tag="me"),
    "api.my_level": Operation(N_("The caller's level"), tag="me"),
    "api.my_streak": Operation(N_("The caller's streak"), tag="me"),
    "api.my_badges": Operation(N_("The caller's badges"), tag="me"),
    "api.my_challenges": Operation(N_("Challenges the caller takes part in"), ChallengeListSchema,
                                   tag="me"),
    "api.my_rewards": Operation(N_("The rewards catalogue and the caller's balance"),
                                RewardListSchema, tag="me"),
    "api.my_redemptions": Operation(N_("The caller's redemptions"), RedemptionListSchema, tag="me"),
    "api.redeem_reward": Operation(N_("Redeem a reward with points"), RedemptionSchema,
                                   body=RedeemSchema, status=201, tag="me"),
    "api.my_preferences": Operation(N_("Set notification and anonymity preferences"),
                                    body=PreferencesSchema, tag="me"),
    "api.put_my_avatar": Operation(N_("Upload the caller's picture: multipart/form-data, field "
                                   "`avatar`, a JPEG, PNG, WebP or GIF of at most 1 MB, kept as "
                                   "a 256 px WebP square"), tag="me"),
    "api.delete_my_avatar": Operation(N_("Remove the caller's picture (their initials show)"),
                                      tag="me"),
    "api.my_devices": Operation(N_("The caller's devices that get phone notifications, and the "
                                "server's VAPID key to subscribe another"), DeviceListSchema,
                                tag="me"),
    "api.add_my_device": Operation(N_("Subscribe a device to phone notifications (Web Push)"),
                                   DeviceSchema, body=PushSubscriptionSchema, status=201,
                                   tag="me"),
    "api.remove_my_device": Operation(N_("Stop phone notifications to one of the caller's devices"),
                                      DeviceSchema, tag="me"),
    "api.add_reward": Operation(N_("Add a reward to the catalogue"), RewardSchema,
                                body=CatalogueRewardSchema, status=201, tag="me", who=MANAGERS),
    "api.change_reward": Operation(N_("Change a catalogue reward"), RewardSchema,
                                   body=CatalogueRewardSchema, tag="me", who=MANAGERS),
    "api.retire": Operation(N_("Retire a catalogue reward"), RewardSchema, tag="me", who=MANAGERS),
    "api.requests_to_handle": Operation(N_("Redemptions waiting to be handled"),
                                        RedemptionListSchema, tag="me", who=MANAGERS),
    "api.fulfil": Operation(N_("Mark a redemption fulfilled"), RedemptionSchema, tag="me",
                            who=MANAGERS),
    "api.refuse": Operation(N_("Refuse a redemption (its points are given back)"),
                            RedemptionSchema, tag="me", who=MANAGERS),
    "api.list_users": Operation(N_("Users the caller manages (admins: everyone)"), UserListSchema,
                                query=UserQuerySchema, tag="users", who=MANAGERS),
    "api.add_user": Operation(N_("Add a person (their CRM user id matches CRM exports' owners)"),
                              UserSchema, body=NewPersonSchema, status=201, tag="users",
                              who=ADMINS),
    "api.read_user": Operation(N_("One person (managers: of their teams)"), UserSchema,
                               tag="users", who=N_("admins, the person's managers, themself")),
    "api.change_user": Operation(
        N_("Move a person to another team, change their roles, CRM user id or access"), UserSchema,
        body=PersonChangeSchema, tag="users", who=ADMINS),
    "api.user_changes": Operation(N_("The audit trail of a person"), OrgChangeListSchema,
                                  tag="users", who=MANAGERS),
    "api.list_teams": Operation(N_("Teams the caller manages (admins: every team)"), TeamListSchema,
                                tag="users", who=MANAGERS),
    "api.add_team": Operation(N_("Create a team"), TeamSchema, body=NewTeamSchema, status=201,
                              tag="users", who=ADMINS),
    "api.read_team": Operation(N_("One team with its members"), TeamSchema, tag="users",
                               who=MANAGERS),
    "api.change_team_view": Operation(N_("Rename a team, set its region or manager"), TeamSchema,
                                      body=TeamChangeSchema, tag="users", who=ADMINS),
    "api.team_changes": Operation(N_("The audit trail of a team"), OrgChangeListSchema,
                                  tag="users", who=MANAGERS),
    "api.me": Operation(N_("The caller"), UserSchema, tag="users"),
}  # fmt: skip

# Each tag's name as a reader reads it (Redoc's x-displayName, the docs page's headings) and
# its description; the tag itself (an operation's `tags`) stays as it is.
TAGS: dict[str, tuple[str, str]] = {
    "challenges": (N_("Challenges"), N_("Challenges and their leaderboards, missions, proofs "
                                        "and points")),
    "sales data": (N_("Sales data"), N_("Sales events, the CRM webhook and CRM imports")),
    "impact": (N_("Impact"), N_("What challenges changed in the KPIs")),
    "kpis": (N_("KPIs"), N_("Scorecards, KPI definitions, targets, inputs and decisions")),
    "me": (N_("Me"), N_("The caller's points, badges, rewards, preferences, picture and "
                        "devices; the rewards catalogue and its requests")),
    "users": (N_("People and teams"), N_("Who is in which team with which roles, and the audit "
                                         "trail of changes")),
}  # fmt: skip

# The description itself is not part of what it describes.
SELF = {"api.openapi_document", "api.api_docs"}


def api_rules(app: Flask) -> list[Rule]:
    """The app's /api/v1 routes other than the description's own."""
    return [
        r for r in app.url_map.iter_rules() if r.rule.startswith(PREFIX) and r.endpoint not in SELF
    ]


def openapi_path(rule: Rule) -> str:
    """`/challenges/<int:challenge_id>` as `/challenges/{challenge_id}`."""
    path = rule.rule.removeprefix(PREFIX)
    for name in rule.arguments:
        path = path.replace(f"<int:{name}>", f"{{{name}}}").replace(f"<{name}>", f"{{{name}}}")
    return path


def _path_parameters(rule: Rule) -> list[dict[str, Any]]:
    parameters = []
    for name in sorted(rule.arguments):
        converter = type(rule._converters[name]).__name__
        schema: dict[str, Any] = (
            {"type": "integer", "minimum": 0, "maximum": ID_MAX}
            if "Integer" in converter or "Id" in converter
            else {"type": "string"}
        )
        parameters.append({"in": "path", "name": name, "required": True, "schema": schema})
    return parameters


def _content(body: Body) -> dict[str, Any]:
    return {"application/json": {"schema": body}}


def _operation(rule: Rule, op: Operation) -> dict[str, Any]:
    parameters: list[Any] = _path_parameters(rule)
    if op.query is not None:
        parameters.append({"in": "query", "schema": op.query})
    answer: dict[str, Any] = {
        "summary": gettext(op.summary),
        "description": gettext("Who: %(who)s.", who=gettext(op.who)),
        "tags": [op.tag],
        "parameters": parameters,
        "responses": {
            str(op.status): {"description": gettext("OK"), "content": _content(op.answer)},
            "4XX": {"description": gettext("Refused; the error names the fields"),
                    "content": _content(ErrorSchema)},
        },
    }  # fmt: skip
    for status, body in op.also.items():
        refused = {"description": gettext("Refused"), "content": _content(body)}
        answer["responses"][str(status)] = refused
    if op.body is not None:
        content = {op.media: {"schema": _in_words(op.body)}}
        answer["requestBody"] = {"required": True, "content": content}
    if rule.endpoint == "api.crm_webhook":
        answer["security"] = []
        answer["parameters"] += [
            {"in": "header", "name": name, "required": True, "schema": {"type": "string"}}
            for name in ("X-SalesQuest-Timestamp", "X-SalesQuest-Signature")
        ]
    return answer


def _in_words(node: Any) -> Any:
    """A copy of a schema (or a part of the document) with its descriptions translated."""
    if isinstance(node, dict):
        return {
            key: gettext(value) if key == "description" and isinstance(value, str) and value
            else _in_words(value)
            for key, value in node.items()
        }  # fmt: skip
    if isinstance(node, list):
        return [_in_words(item) for item in node]
    return node


def _decimal_as_string(self: Any, field: fields.Field, **kwargs: Any) -> dict[str, Any]:
    # apispec types every Decimal a number; an answer's `as_string` ones are JSON strings.
    if isinstance(field, fields.Decimal) and field.as_string:
        return {"type": ["string", "null"] if field.allow_none else "string", "format": "decimal"}
    return {}


def _bounds_as_numbers(
    self: Any, field: fields.Field, ret: dict[str, Any], **kwargs: Any
) -> dict[str, Any]:
    # A Range over Decimals gives Decimal bounds, which JSON would carry as strings.
    return {
        key: int(value) if value == value.to_integral_value() else float(value)
        for key, value in ret.items()
        if key in _BOUNDS and isinstance(value, Decimal)
    }


_BOUNDS = ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum")


def _comma_separated(self: Any, field: fields.Field, **kwargs: Any) -> dict[str, Any]:
    # Query lists such as kpis=win_rate,activities and challenges=1,2 travel as one string.
    if isinstance(field, KpiKeys | IdList):
        return {"type": "string", "pattern": r"^[^,]+(,[^,]+)*$"}
    return {}


def build_document(app: Flask) -> dict[str, Any]:
    """The OpenAPI 3 document of the app's /api/v1 routes, in the current locale's words."""
    plugin = MarshmallowPlugin(schema_name_resolver=_schema_name)
    spec = APISpec(
        title="SalesQuest API",
        version="1",
        openapi_version="3.1.0",
        plugins=[plugin],
        info={"description": gettext("Gamified sales challenges on CRM data. Send "
                                     "`Authorization: Bearer <token>` (an admin issues tokens "
                                     "with `flask tokens`).")},
        servers=[{"url": PREFIX}],
        security=[{"bearer": []}],
    )  # fmt: skip
    assert plugin.converter is not None
    plugin.converter.add_attribute_function(_decimal_as_string)
    plugin.converter.add_attribute_function(_comma_separated)
    plugin.converter.add_attribute_function(_bounds_as_numbers)
    spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})
    spec.components.schema("Event", schema=EventSchema)
    spec.components.schema("EventBatch", schema=EventBatchSchema)
    spec.components.schema("BatchAnswer", schema=BatchAnswerSchema)
    spec.components.schema("Error", schema=ErrorSchema)
    by_path: dict[str, dict[str, Any]] = {}
    for rule in sorted(api_rules(app), key=lambda r: r.rule):
        op = OPERATIONS.get(rule.endpoint)
        if op is None:
            continue  # the drift test names it
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            by_path.setdefault(openapi_path(rule), {})[method.lower()] = _operation(rule, op)
    for tag in dict.fromkeys(op["tags"][0] for ops in by_path.values() for op in ops.values()):
        name, description = TAGS[tag]
        spec.tag({"name": tag, "x-displayName": gettext(name), "description": gettext(description)})
    for path, operations in by_path.items():
        spec.path(path=path, operations=operations)
    document = spec.to_dict()
    # The fields' descriptions (their metadata), and a query schema's, as apispec copied them.
    document["components"] = _in_words(document["components"])
    for operations in document["paths"].values():
        for op in operations.values():
            op["parameters"] = _in_words(op.get("parameters", []))
    return document


def _schema_name(schema: Any) -> str:
    cls = schema if isinstance(schema, type) else type(schema)
    name = cls.__name__.removesuffix("Schema")
    modifiers = getattr(schema, "partial", False) or getattr(schema, "only", None)
    return f"{name}Partial" if modifiers else name


def document() -> dict[str, Any]:
    """The current app's document in the request's language, built once per app and locale."""
    built: dict[str, dict[str, Any]] = current_app.extensions.setdefault("openapi", {})
    locale = str(get_locale() or "en")
    if locale not in built:
        built[locale] = build_document(current_app)
    return dict(built[locale])


@bp.get("/openapi.json")
def openapi_document() -> Response:
    response = jsonify(document())
    response.vary.add("Accept-Language")  # its words follow the reader's language
    return response


@bp.get("/docs")
def api_docs() -> str:
    return render_template("api_docs.html", doc=document())
