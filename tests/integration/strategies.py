"""Hypothesis strategies for the handler's input: valid activities the emulator accepts, and
every way a body, an SQS record or an API Gateway event can be broken."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from hypothesis import strategies as st

from activity_poster.models import MAX_BODY_BYTES, Activity, InvalidActivity, parse_activity
from leadsquared_emulator import DEFAULT_FIELD_SCHEMA_NAMES, PRIMARY_EMAIL
from tests.integration.events import LEAD_ID, OTHER_LEAD_ID, sns_envelope

# Every top-level key the contract knows, aliases included.
KNOWN_KEYS = frozenset(Activity.model_fields) | {"LeadId"}
SCHEMA_NAMES = sorted(DEFAULT_FIELD_SCHEMA_NAMES)
HUGE = 20_000  # characters: far above any note a person writes; its JSON stays under the body limit

# -- building blocks -----------------------------------------------------------------------

# st.characters() leaves out surrogates (category Cs) unless told otherwise.
safe_text = st.text(max_size=40)
any_text = st.text(alphabet=st.characters(exclude_categories=()), max_size=40)
surrogate_text = st.text(alphabet=st.characters(categories=["Cs"]), min_size=1, max_size=3).flatmap(
    lambda lone: st.builds(lambda a, b: a + lone + b, safe_text, safe_text)
)
# Bytes that are mostly not UTF-8, seen as a str the way Python keeps undecodable input.
undecodable_text = st.binary(min_size=1, max_size=60).map(
    lambda raw: raw.decode("utf-8", errors="surrogateescape")
)


def huge(piece: str) -> str:
    return (piece or "x") * (HUGE // max(1, len(piece)) + 1)


huge_text = st.text(min_size=1, max_size=8).map(huge)

json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats()
    | any_text
)
# Object keys drawn partly from the contract's own names, so objects come close to valid.
json_keys = st.sampled_from(sorted(KNOWN_KEYS)) | any_text
json_values = st.recursive(
    json_scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(json_keys, children, max_size=6)
    ),
    max_leaves=16,
)

# -- valid activities ----------------------------------------------------------------------

_lead_ids = st.sampled_from([LEAD_ID, OTHER_LEAD_ID, LEAD_ID.upper()])
_new_emails = st.integers(min_value=0, max_value=10**6).map(lambda n: f"new.lead.{n}@example.org")
_by_id = st.sampled_from(["RelatedProspectId", "LeadId"]).flatmap(
    lambda key: st.fixed_dictionaries({key: _lead_ids})
)
_by_email = st.fixed_dictionaries(
    {"EmailAddress": st.just(PRIMARY_EMAIL) | _new_emails},
    optional={"FirstName": safe_text, "LastName": safe_text, "Phone": safe_text},
)
_activity_events = st.integers(min_value=1, max_value=10**9) | st.sampled_from([2**63, 10**30])
_moments = st.datetimes(min_value=datetime(1900, 1, 2), max_value=datetime(2100, 12, 30))
_offsets = st.integers(min_value=-(14 * 60), max_value=14 * 60).map(
    lambda minutes: timezone(timedelta(minutes=minutes))
)
_datetimes = st.one_of(
    _moments.map(lambda m: m.strftime("%Y-%m-%d %H:%M:%S")),
    st.builds(lambda m, tz: m.replace(tzinfo=tz).isoformat(), _moments, _offsets),
    _moments.map(lambda m: m.replace(tzinfo=UTC).isoformat(timespec="seconds")[:-6] + "Z"),
)
_field_values = (
    safe_text
    | st.integers(-(10**12), 10**12)
    | st.booleans()
    | st.floats(allow_nan=False, allow_infinity=False)
)
_fields = st.lists(st.sampled_from(SCHEMA_NAMES), unique=True, max_size=4).flatmap(
    lambda names: st.tuples(*[_field_values for _ in names]).map(
        lambda values: [{"SchemaName": n, "Value": v} for n, v in zip(names, values, strict=True)]
    )
)


@st.composite
def valid_activities(draw: st.DrawFn) -> dict[str, Any]:
    """An activity the contract accepts and the emulator's default tenant takes."""
    body: dict[str, Any] = dict(draw(_by_id | _by_email))
    event = draw(_activity_events)
    body["ActivityEvent"] = draw(
        st.sampled_from([event, str(event), f" {event} "]) if event < 10**9 else st.just(event)
    )
    optional = draw(
        st.fixed_dictionaries(
            {},
            optional={
                "ActivityNote": safe_text | huge_text,
                "ActivityDateTime": _datetimes,
                "Fields": _fields,
                "ProcessFilesAsync": st.booleans(),
                "ValidateDropDownOptions": st.booleans(),
                "IncludeLeadScore": st.booleans(),
                "IdempotencyKey": st.uuids().map(str),
            },
        )
    )
    body.update(optional)
    return body


# -- the oracle ----------------------------------------------------------------------------


def accepted(body: Any, *, sns: bool = True) -> Activity | None:
    """The activity an SQS body (or, with sns=False, an API body) stands for, else None.

    Written from the README, not from the adapters: JSON text; in an SQS body an SNS
    notification is unwrapped; then the contract's parser decides.
    """
    if not isinstance(body, str) or len(body.encode("utf-8", "surrogatepass")) > MAX_BODY_BYTES:
        return None  # refused unread: larger than any activity
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        return None
    if (
        sns
        and isinstance(data, dict)
        and data.get("Type") == "Notification"
        and "TopicArn" in data
        and isinstance(data.get("Message"), str)
    ):
        if len(data["Message"].encode("utf-8", "surrogatepass")) > MAX_BODY_BYTES:
            return None
        try:
            data = json.loads(data["Message"])
        except (ValueError, RecursionError):
            return None
    try:
        activity = parse_activity(data)
    except InvalidActivity:
        return None
    # A lead named by Phone alone is refused under the default LEAD_POLICY (create).
    return None if activity.named_by_phone else activity


def is_invalid(body: Any) -> bool:
    return accepted(body) is None


# -- invalid activities: one known field with a value of the wrong type or shape --------------

_not_str = st.one_of(
    st.integers(),
    st.floats(),
    st.booleans(),
    st.lists(json_scalars, max_size=3),
    st.dictionaries(safe_text, json_scalars, max_size=3),
)
_fields_junk = st.one_of(
    st.dictionaries(safe_text, json_scalars, max_size=3),
    any_text,
    st.integers(),
    st.booleans(),
    st.lists(json_values, min_size=1, max_size=3),
    st.just([{"SchemaName": "mx_Custom_1", "Value": "a"}, {"SchemaName": "mx_Custom_1"}]),
    st.just([{"SchemaName": "", "Value": "a"}]),
    st.just([{"SchemaName": "mx_Custom_1", "Value": None}]),
    st.just([{"SchemaName": "mx_Custom_1", "Value": {"nested": 1}}]),
    st.just([{"SchemaName": "mx_Custom_1", "Value": "a", "Extra": 1}]),
)
# Values that break each field; None is left out where the contract allows null.
WRONG_VALUES: dict[str, st.SearchStrategy[Any]] = {
    "ActivityEvent": st.one_of(
        st.none(),
        st.lists(json_scalars, max_size=3),
        st.dictionaries(safe_text, json_scalars, max_size=3),
        st.floats(),
        st.booleans(),
        st.integers(max_value=0),
        st.integers(max_value=-(10**20)),
        st.sampled_from(["", "abc", "-5", "1.5", "1e3", "0x10", "\uff10\uff11\uff12", "212 213"]),
        any_text,
    ),
    "RelatedProspectId": st.one_of(_not_str, st.sampled_from(["", "abc", LEAD_ID[:-1]]), any_text),
    "LeadId": st.one_of(_not_str, st.sampled_from(["not-a-guid", LEAD_ID + "0"])),
    "EmailAddress": st.one_of(_not_str, st.sampled_from(["", "priya", "a@b", "@x.org"])),
    "ActivityNote": _not_str,
    "ActivityDateTime": st.one_of(
        _not_str,
        st.sampled_from(
            [
                "yesterday",
                "2025-06-03T09:41:07",  # ISO without an offset: ambiguous
                "2025-06-03 09:41",
                "2025-02-30 10:00:00",
                "2025-13-01 00:00:00",
                "0001-01-01T00:00:00+01:00",  # before year 1 in UTC
                "",
            ]
        ),
        any_text,
    ),
    "Fields": _fields_junk,
    "ProcessFilesAsync": st.one_of(
        st.sampled_from(["true", "false", "True", "1", "yes", 1, 0]), _not_str
    ),
    "ValidateDropDownOptions": st.sampled_from(["true", "false", 1, 0, [], {}]),
    "IncludeLeadScore": st.sampled_from(["true", "false", 1, 0, 1.0, [True]]),
    "IdempotencyKey": st.one_of(_not_str, st.just(""), st.just("k" * 257)),
    "FirstName": _not_str,
    "LastName": _not_str,
    "Phone": _not_str,
}


def with_value(activity: dict[str, Any], key: str, value: Any) -> dict[str, Any]:
    """`activity` with `key` set to `value`; the lead id is given under one alias only."""
    changed = dict(activity)
    if key in ("RelatedProspectId", "LeadId"):
        changed.pop("RelatedProspectId", None)
        changed.pop("LeadId", None)
    changed[key] = value
    return changed


@st.composite
def wrongly_typed(draw: st.DrawFn) -> tuple[str, dict[str, Any]]:
    """(the field broken, the activity): a valid activity with one field's value broken."""
    key = draw(st.sampled_from(sorted(WRONG_VALUES)))
    broken = with_value(draw(valid_activities()), key, draw(WRONG_VALUES[key]))
    return key, broken


unknown_keys = st.one_of(
    st.sampled_from(["ActivityNotes", "activityEvent", "leadId", " ActivityNote", "Type", "0"]),
    st.text(min_size=1, max_size=20),
).filter(lambda k: k not in KNOWN_KEYS)


@st.composite
def with_unknown_key(draw: st.DrawFn) -> tuple[str, dict[str, Any]]:
    """(the unknown key, the activity): a valid activity plus one key the contract lacks."""
    key = draw(unknown_keys)
    body = draw(valid_activities())
    body[key] = draw(json_values)
    return key, body


@st.composite
def broken_structure(draw: st.DrawFn) -> dict[str, Any]:
    """A valid activity with required keys dropped or conflicting keys added."""
    body = draw(valid_activities())
    match draw(st.sampled_from(["no_event", "no_lead", "both_ids", "id_and_email", "name_by_id"])):
        case "no_event":
            body.pop("ActivityEvent")
        case "no_lead":
            for key in ("RelatedProspectId", "LeadId", "EmailAddress"):
                body.pop(key, None)
        case "both_ids":
            body.update(RelatedProspectId=LEAD_ID, LeadId=OTHER_LEAD_ID)
        case "id_and_email":
            body.update(RelatedProspectId=LEAD_ID, EmailAddress=PRIMARY_EMAIL)
        case _:
            for key in ("LeadId", "EmailAddress"):
                body.pop(key, None)
            body.update(RelatedProspectId=LEAD_ID, FirstName=draw(safe_text))
    return body


# -- bodies, as SQS message bodies and API request bodies are: text --------------------------


def as_json(value: Any, ascii_only: bool = True) -> str:
    return json.dumps(value, ensure_ascii=ascii_only)


@st.composite
def surrogate_in_value(draw: st.DrawFn) -> tuple[str, str]:
    """(the field, the body): a valid activity with a lone surrogate in one string value,
    raw in the text or escaped as \\udXXX."""
    body = draw(valid_activities())
    lone = draw(surrogate_text)
    key = draw(st.sampled_from(["ActivityNote", "FirstName", "IdempotencyKey", "Fields"]))
    if key == "Fields":
        body["Fields"] = [{"SchemaName": "mx_Custom_1", "Value": lone}]
    elif key == "FirstName":
        body = with_value(body, "EmailAddress", PRIMARY_EMAIL)
        body.pop("RelatedProspectId", None)
        body.pop("LeadId", None)
        body["FirstName"] = lone
    else:
        body[key] = lone
    return key, as_json(body, ascii_only=draw(st.booleans()))


NASTY_TEXTS = [
    "",
    " ",
    "\n\t",
    "null",
    "true",
    "0",
    "-1",
    "1e999",
    "NaN",
    '"a string"',
    "[]",
    "{}",
    "{",
    "}",
    '{"ActivityEvent": }',
    "\x00",
    "\ufeff{}",
    "[" * 100_000 + "]" * 100_000,  # deeper than any parser recurses
    '{"a":' * 50_000 + "1" + "}" * 50_000,
    "1" * 5000,  # an integer longer than Python parses by default
    '{"RelatedProspectId": "' + LEAD_ID + '", "ActivityEvent": ' + "9" * 5000 + "}",
    "<xml/>",
    "RelatedProspectId=" + LEAD_ID + "&ActivityEvent=212",
]

invalid_bodies: st.SearchStrategy[str] = st.one_of(
    json_values.map(as_json),
    json_values.map(lambda v: as_json(v, ascii_only=False)),
    wrongly_typed().map(lambda pair: as_json(pair[1])),
    with_unknown_key().map(lambda pair: as_json(pair[1])),
    broken_structure().map(as_json),
    st.lists(valid_activities(), min_size=0, max_size=2).map(as_json),  # a JSON array
    surrogate_in_value().map(lambda pair: pair[1]),
    any_text,
    undecodable_text,
    st.sampled_from(NASTY_TEXTS),
    # Huge, and invalid: a 100 KB note next to a typo.
    st.builds(lambda a: as_json({**a, "ActivityNotes": "x"}), valid_activities()),
    huge_text.map(lambda t: as_json({"RelatedProspectId": LEAD_ID, "ActivityNote": t})),
    # An SNS notification around something invalid.
    json_values.map(lambda v: as_json(sns_envelope(v))),
    st.just(as_json({**sns_envelope({}), "Message": "not json"})),
).filter(is_invalid)

valid_bodies: st.SearchStrategy[str] = st.one_of(
    valid_activities().map(as_json),
    valid_activities().map(lambda a: as_json(a, ascii_only=False)),
    valid_activities().map(lambda a: as_json(sns_envelope(a))),
).filter(lambda body: accepted(body) is not None)  # an envelope can push it over the limit
