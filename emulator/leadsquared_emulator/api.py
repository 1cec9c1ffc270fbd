"""The emulated LeadSquared endpoints, independent of sockets.

Processing order for a matched route: wrong host (401) -> auth (401) -> rate limit -> content
type / JSON shape (400) -> validation (app error) -> commit. Unauthenticated calls are rejected
before the rate limiter and so never use up the tenant's budget; every authenticated call
counts, including ones that then fail with 400 or an MX error, since the real service meters
calls, not successes.
"""

import hmac
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Final

from . import replies
from .config import BulkAnswerShape, EmulatorConfig, RetrieveShape
from .errors import (
    INVALID_ENTITY,
    INVALID_INPUT,
    LEAD_NOT_FOUND_MESSAGE,
    MXError,
    bad_request,
    mandatory,
)
from .models import CreatedActivity, Headers, Lead
from .replies import Reply
from .schema import activity_types_view
from .state import TenantState
from .validation import ActivityInput, parse_activity


@dataclass(frozen=True, slots=True)
class ApiRequest:
    method: str
    path: str
    query: Mapping[str, list[str]]
    headers: Headers
    body: bytes
    base_url: str = ""  # the emulator's own URL as the client reached it, e.g. http://h:8701


Handler = Callable[[ApiRequest, EmulatorConfig], Reply]


@dataclass(frozen=True, slots=True)
class Route:
    method: str
    bulk: bool  # which rate-limit bucket the endpoint draws from
    handler: Handler
    any_host: bool = False  # answers on every regional host, not only the tenant's own


class LeadSquaredApi:
    """Routes requests to endpoint handlers; all data lives in the shared TenantState."""

    def __init__(self, state: TenantState) -> None:
        self._state = state
        self._routes: dict[str, Route] = {
            "/v2/prospectactivity.svc/create": Route("POST", False, self._create),
            "/v2/prospectactivity.svc/bulk/customactivity/add/byleadid": Route(
                "POST", True, self._bulk_by_lead_id
            ),
            "/v2/prospectactivity.svc/retrieve": Route("POST", False, self._retrieve),
            "/v2/leadmanagement.svc/leads.getbyemailaddress": Route(
                "GET", False, self._leads_by_email
            ),
            "/v2/leadmanagement.svc/leads.getbyid": Route("GET", False, self._leads_by_id),
            "/v2/leadmanagement.svc/retrieveleadbyphonenumber": Route(
                "GET", False, self._leads_by_phone
            ),
            "/v2/prospectactivity.svc/activitytypes.get": Route("GET", False, self._activity_types),
            "/v2/authentication.svc/userbyaccesskey.get": Route(
                "GET", False, self._user_by_access_key, any_host=True
            ),
        }

    def route(self, path: str) -> Route | None:
        """Paths match case-insensitively, like the .NET service behind the real API."""
        return self._routes.get(path.lower())

    def handle(self, request: ApiRequest, config: EmulatorConfig) -> Reply:
        route = self.route(request.path)
        if route is None:
            return replies.not_found()
        if request.method != route.method:
            return replies.method_not_allowed(route.method)
        if config.wrong_host and not route.any_host:
            return replies.unauthorized()  # the keys belong to another region's host
        if not _authenticated(request, config):
            return replies.unauthorized()
        limit = config.limit_for(route.bulk)
        if limit is not None and not self._state.admit(
            limit, bulk=route.bulk, count_rejected=config.count_throttled
        ):
            return replies.throttled(limit, config)
        try:
            return route.handler(request, config)
        except MXError as error:
            return replies.mx_error(error, config)

    # -- writes ------------------------------------------------------------------------------

    def _create(self, request: ApiRequest, config: EmulatorConfig) -> Reply:
        body = _json_body(request)
        if not isinstance(body, dict):
            raise bad_request("Request body must be a JSON object")
        activity = parse_activity(body, config, allow_email=True)
        lead = self._resolve_lead(activity, config)
        created, lead = self._state.commit_activity(
            lead.lead_id, body, activity.activity_event, bulk=False
        )
        message: dict[str, Any] = {"Id": created.activity_id}
        if activity.include_lead_score and config.lead_score_key is not None:
            message[config.lead_score_key] = lead.score
        return replies.json_reply(200, {"Status": "Success", "Message": message})

    def _bulk_by_lead_id(self, request: ApiRequest, config: EmulatorConfig) -> Reply:
        rows = _json_body(request)
        if not isinstance(rows, list):
            raise bad_request("Request body must be a JSON array")
        if not rows:
            raise MXError(INVALID_INPUT, "Invalid Input! No activities to post")
        if len(rows) > config.bulk_max_rows:
            raise MXError(
                INVALID_INPUT,
                f"Invalid Input! Maximum {config.bulk_max_rows} activities allowed per request",
            )
        outcomes: list[_RowOutcome] = []
        for number, row in enumerate(rows, start=1):
            try:
                if not isinstance(row, dict):
                    raise MXError(INVALID_INPUT, "Invalid Input! Parameter Name: activity")
                activity = parse_activity(row, config, allow_email=False)
                lead = self._resolve_lead(activity, config)
                created, _ = self._state.commit_activity(
                    lead.lead_id, row, activity.activity_event, bulk=True
                )
            except MXError as error:
                outcomes.append(_RowOutcome(number, None, error))
            else:
                outcomes.append(_RowOutcome(number, created.activity_id, None))
        return replies.json_reply(200, _bulk_answer(outcomes, config))

    def _resolve_lead(self, activity: ActivityInput, config: EmulatorConfig) -> Lead:
        if activity.lead_id is not None:
            lead = self._state.find_lead(
                activity.lead_id, accept_unknown=config.accept_unknown_leads
            )
            if lead is None:
                raise MXError(INVALID_ENTITY, LEAD_NOT_FOUND_MESSAGE)
            return lead
        assert activity.email is not None
        return self._state.lead_for_email(
            activity.email, activity.first_name, activity.last_name, activity.phone
        )

    # -- reads (for clients that reconcile before retrying a write) --------------------------

    def _retrieve(self, request: ApiRequest, config: EmulatorConfig) -> Reply:
        lead_id = _query_value(request.query, "leadId")
        if not lead_id:
            raise mandatory("leadId")
        body = _json_body(request) if request.body.strip() else {}
        if not isinstance(body, dict):
            raise bad_request("Request body must be a JSON object")
        parameter = body.get("Parameter") or {}
        paging = body.get("Paging") or {}
        if not isinstance(parameter, dict) or not isinstance(paging, dict):
            raise MXError(INVALID_INPUT, "Invalid Input! Parameter Name: Parameter")
        event = parameter.get("ActivityEvent")
        offset = _int_param(paging.get("Offset", 0), "Offset")
        count = _int_param(paging.get("RowCount", 25), "RowCount")
        activities = [
            a
            for a in reversed(self._state.activities_of(lead_id))
            if event in (None, 0, a.activity_event)
        ]
        page = activities[offset : offset + count]
        return replies.json_reply(
            200,
            {
                "RecordCount": len(activities),
                "ProspectActivities": [_activity_view(a, config.retrieve_shape) for a in page],
            },
        )

    def _user_by_access_key(self, request: ApiRequest, config: EmulatorConfig) -> Reply:
        """Who owns the keys and which host serves their tenant; answered on every host.

        Only `LSQCommonServiceURLs` with `api` and `app` hosts, `TimeZone`, `OrgShortCode` and
        `Name` are seen read by clients of the real service; the rest of the shape is inferred.
        """
        host = config.home_api_host or request.base_url
        return replies.json_reply(
            200,
            {
                **_USER_DETAILS,
                "LSQCommonServiceURLs": {"api": host, "app": host},
            },
        )

    def _leads_by_email(self, request: ApiRequest, config: EmulatorConfig) -> Reply:
        email = _query_value(request.query, "emailaddress", exact=True)
        lead = self._state.find_lead_by_email(email) if email else None
        return replies.json_reply(200, [] if lead is None else [_lead_view(lead)])

    def _leads_by_id(self, request: ApiRequest, config: EmulatorConfig) -> Reply:
        lead_id = _query_value(request.query, "id")
        lead = self._state.find_lead(lead_id) if lead_id else None
        return replies.json_reply(200, [] if lead is None else [_lead_view(lead)])

    def _leads_by_phone(self, request: ApiRequest, config: EmulatorConfig) -> Reply:
        """Every lead with that phone (`[]` when none): a phone, unlike an email, may be shared.
        The parameter name is matched exactly, as for the email lookup."""
        phone = _query_value(request.query, "phone", exact=True)
        leads = self._state.find_leads_by_phone(phone) if phone else []
        return replies.json_reply(200, [_lead_view(lead) for lead in leads])

    def _activity_types(self, request: ApiRequest, config: EmulatorConfig) -> Reply:
        return replies.json_reply(200, activity_types_view(config.activity_types))


def _authenticated(request: ApiRequest, config: EmulatorConfig) -> bool:
    """Keys from the x-LSQ-* headers, each falling back to the accessKey/secretKey query."""
    access = request.headers.get("x-lsq-accesskey") or _query_value(request.query, "accessKey")
    secret = request.headers.get("x-lsq-secretkey") or _query_value(request.query, "secretKey")
    if access is None or secret is None:
        return False
    return hmac.compare_digest(access.encode(), config.access_key.encode()) & hmac.compare_digest(
        secret.encode(), config.secret_key.encode()
    )


def _query_value(query: Mapping[str, list[str]], name: str, *, exact: bool = False) -> str | None:
    """First value of a query parameter; names match case-insensitively unless `exact`."""
    if exact:
        values = query.get(name)
        return values[0] if values else None
    wanted = name.lower()
    for key, values in query.items():
        if key.lower() == wanted and values:
            return values[0]
    return None


def _json_body(request: ApiRequest) -> Any:
    content_type = request.headers.get("content-type", "")
    if content_type.split(";", 1)[0].strip().lower() != "application/json":
        raise bad_request("Content-Type must be application/json")
    try:
        return json.loads(request.body)
    except (ValueError, RecursionError):
        raise bad_request("Request body is not valid JSON") from None


def _int_param(value: Any, name: str) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise MXError(INVALID_INPUT, f"Invalid Input! Parameter Name: {name}") from None
    if number < 0:
        raise MXError(INVALID_INPUT, f"Invalid Input! Parameter Name: {name}")
    return number


_USER_DETAILS: Final[Mapping[str, Any]] = MappingProxyType(
    {
        "ID": "5b1d7c3e-2f4a-4e6b-9c8d-0a1b2c3d4e5f",
        "Name": "Emulator Admin",
        "EmailAddress": "admin@example.com",
        "Role": "Administrator",
        "OrgShortCode": "emulator",
        "TimeZone": "UTC",
    }
)


@dataclass(frozen=True, slots=True)
class _RowOutcome:
    """One bulk row: the new activity's id, or the error that rejected the row."""

    number: int  # 1-based position in the submitted array
    activity_id: str | None
    error: MXError | None


def _bulk_answer(outcomes: list[_RowOutcome], config: EmulatorConfig) -> dict[str, Any]:
    shape = config.bulk_answer_shape
    if shape is BulkAnswerShape.COUNT_ONLY:
        created = sum(outcome.error is None for outcome in outcomes)
        return {"Status": "Success", "Message": {"Count": created}}
    rows = [
        _bulk_row(outcome, config)
        for outcome in outcomes
        if outcome.error is None or not config.bulk_omit_failed_rows
    ]
    if shape is BulkAnswerShape.MISSING_ROWS:
        rows = rows[:-1]
    return {"Response": rows}


def _bulk_row(outcome: _RowOutcome, config: EmulatorConfig) -> dict[str, Any]:
    shape = config.bulk_answer_shape
    error = outcome.error
    row: dict[str, Any] = {}
    if error is None or shape is not BulkAnswerShape.ID_ONLY:
        row["ProspectActivityId"] = outcome.activity_id
    if shape is not BulkAnswerShape.NO_ROW_NUMBER:
        row["RowNumber"] = outcome.number
    if shape is not BulkAnswerShape.ID_ONLY:
        row["ActivityCreated"] = error is None
    if error is not None:
        if config.bulk_row_exception_type:
            row["ExceptionType"] = error.exception_type
        row["ExceptionMessage"] = error.message
    return row


def _activity_view(activity: CreatedActivity, shape: RetrieveShape) -> dict[str, Any]:
    """One row of a Retrieve answer: common keys at the top, the rest in `Data`."""
    body = activity.body
    note = body.get("ActivityNote")
    data: dict[str, Any] = {}
    if note is not None:
        data.update(dict.fromkeys(shape.note_data_keys, note))
    data.update(
        (item["SchemaName"], item["Value"])
        for item in body.get("Fields") or []
        if isinstance(item, dict) and "SchemaName" in item
    )
    view: dict[str, Any] = {
        "Id": activity.activity_id,
        "EventCode": activity.activity_event,
        "RelatedProspectId": activity.lead_id,
    }
    if shape is RetrieveShape.NOTE_AT_TOP_LEVEL:
        view["ActivityNote"] = note
    if shape is RetrieveShape.CREATED_ON_IS_SERVER_TIME:
        view["CreatedOn"] = activity.stored_on
    else:
        view["CreatedOn"] = activity.created_on
    view["Data"] = data
    return view


def _lead_view(lead: Lead) -> dict[str, Any]:
    return {
        "ProspectID": lead.lead_id,
        "EmailAddress": lead.email,
        "FirstName": lead.first_name,
        "LastName": lead.last_name,
        "Phone": lead.phone,
        "Score": lead.score,
    }
