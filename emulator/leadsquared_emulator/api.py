"""The emulated LeadSquared endpoints, independent of sockets.

Processing order for a matched route: auth (401) -> rate limit -> content type / JSON shape
(400) -> validation (app error) -> commit. Unauthenticated calls are rejected before the rate
limiter and so never use up the tenant's budget; every authenticated call counts, including
ones that then fail with 400 or an MX error, since the real service meters calls, not successes.
"""

import hmac
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from . import replies
from .config import EmulatorConfig
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
from .state import TenantState
from .validation import ActivityInput, parse_activity


@dataclass(frozen=True, slots=True)
class ApiRequest:
    method: str
    path: str
    query: Mapping[str, list[str]]
    headers: Headers
    body: bytes


Handler = Callable[[ApiRequest, EmulatorConfig], Reply]


@dataclass(frozen=True, slots=True)
class Route:
    method: str
    bulk: bool  # which rate-limit bucket the endpoint draws from
    handler: Handler


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
        results: list[dict[str, Any]] = []
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
                if config.bulk_omit_failed_rows:
                    continue
                failed: dict[str, Any] = {
                    "ProspectActivityId": None,
                    "RowNumber": number,
                    "ActivityCreated": False,
                }
                if config.bulk_row_exception_type:
                    failed["ExceptionType"] = error.exception_type
                failed["ExceptionMessage"] = error.message
                results.append(failed)
            else:
                results.append(
                    {
                        "ProspectActivityId": created.activity_id,
                        "RowNumber": number,
                        "ActivityCreated": True,
                    }
                )
        return replies.json_reply(200, {"Response": results})

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
                "ProspectActivities": [_activity_view(a) for a in page],
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


def _activity_view(activity: CreatedActivity) -> dict[str, Any]:
    body = activity.body
    data = {
        item["SchemaName"]: item["Value"]
        for item in body.get("Fields") or []
        if isinstance(item, dict) and "SchemaName" in item
    }
    return {
        "Id": activity.activity_id,
        "EventCode": activity.activity_event,
        "RelatedProspectId": activity.lead_id,
        "ActivityNote": body.get("ActivityNote"),
        "CreatedOn": activity.created_on,
        "Data": data,
    }


def _lead_view(lead: Lead) -> dict[str, Any]:
    return {
        "ProspectID": lead.lead_id,
        "EmailAddress": lead.email,
        "FirstName": lead.first_name,
        "LastName": lead.last_name,
        "Phone": lead.phone,
        "Score": lead.score,
    }
