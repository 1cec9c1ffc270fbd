"""The pre-flight check and the emulator agree: over generated activity types and activities,
`refusals()` refuses exactly what the emulator's Create rejects for schema reasons.

The types reach the check as a client reads them, over HTTP through ActivityTypes.Get; every
activity is posted to Create over HTTP. An activity the emulator would reject and the check
passes would spend a call on a sure refusal; one the check refuses and the emulator takes
would dead-letter a good activity. Both directions are asserted.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import urllib3
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from activity_poster.leadsquared.schema import ACTIVITY_TYPES_PATH, parse_activity_types, refusals
from leadsquared_emulator import (
    DEFAULT_ACCESS_KEY,
    DEFAULT_SECRET_KEY,
    PRIMARY_LEAD_ID,
    ActivityTypeSpec,
    Emulator,
    EmulatorConfig,
    FieldSpec,
)

CREATE_PATH = "/v2/ProspectActivity.svc/Create"
HEADERS = {
    "x-LSQ-AccessKey": DEFAULT_ACCESS_KEY,
    "x-LSQ-SecretKey": DEFAULT_SECRET_KEY,
    "Content-Type": "application/json",
}
SCHEMA_EXCEPTIONS = {
    "MXUnknownAttributeException",
    "MXMandatoryAttributeMissingException",
    "MXInvalidInputException",
}
UNDECLARED_EVENT = 999
# What the emulator knows, in its own and in other cases, and a type it does not check.
DATA_TYPES = [
    "String",
    "Number",
    "Date",
    "DateTime",
    "Boolean",
    "Dropdown",
    "number",
    "DATETIME",
    "Product",
]
NAMES = [*(f"mx_Custom_{n}" for n in range(1, 7)), "Status", "Owner", "mx_Other", "Notes"]
OPTIONS = ["Gold", "Silver", "Bronze", "gold tier", " Spaced ", "Ünï", "1"]
# Values each kind takes, and values it does not, on either side of the rules.
KIND_VALUES = {
    "number": [
        "12",
        "-3.5",
        "+7",
        "1,000.25",
        "1E3",
        ".5",
        "5.",
        " 42 ",
        "1.2.3",
        "NaN",
        "e5",
        "\uff11",
    ],
    "datetime": [
        *("2025-06-03 09:41:07", " 2025-06-03 09:41:07 ", "2025-06-03T09:41:07Z", "2025-06-03"),
        *("2025-02-30 10:00:00", "2025-06-03 24:00:00", "2025-13-03", "0000-01-01 00:00:00"),
    ],
    "boolean": ["true", "FALSE", "yes", "No", " 0 ", "1", "maybe", "2", "on"],
}
KIND_VALUES["date"] = KIND_VALUES["datetime"]
VALUES = [
    "",
    " ",
    "x",
    "abc def",
    "\U0001f600" * 3,
    *(v for vs in KIND_VALUES.values() for v in vs),
]


@pytest.fixture(scope="module")
def tenant() -> Iterator[Emulator]:
    config = EmulatorConfig(rate_limit=None, bulk_rate_limit=None, accept_undeclared_events=False)
    with Emulator(config) as emulator:
        yield emulator


@pytest.fixture(scope="module")
def http() -> Iterator[urllib3.PoolManager]:
    pool = urllib3.PoolManager(retries=False, timeout=urllib3.Timeout(connect=2.0, read=5.0))
    yield pool
    pool.clear()


cased = st.sampled_from([str, str.lower, str.upper])


@st.composite
def field_specs(draw: st.DrawFn, name: str) -> FieldSpec:
    data_type = draw(st.sampled_from(DATA_TYPES))
    options: tuple[str, ...] = ()
    if data_type == "Dropdown":
        options = tuple(
            draw(st.lists(st.sampled_from(OPTIONS), min_size=0, max_size=3, unique=True))
        )
    return FieldSpec(
        name,
        data_type,
        mandatory=draw(st.booleans()),
        options=options,
        max_length=draw(st.sampled_from([None] * 3) | st.integers(min_value=1, max_value=25)),
    )


@st.composite
def activity_types(draw: st.DrawFn) -> list[ActivityTypeSpec]:
    events = draw(
        st.lists(st.integers(min_value=200, max_value=204), min_size=1, max_size=3, unique=True)
    )
    types = []
    for event in events:
        names = draw(st.lists(st.sampled_from(NAMES), min_size=1, max_size=5, unique=True))
        fields = tuple(draw(field_specs(name)) for name in names)
        types.append(ActivityTypeSpec(event, f"Type {event}", fields))
    return types


def values(field: FieldSpec | None) -> st.SearchStrategy[str]:
    """Values around the field's rules, those of its kind drawn most: its options in other
    cases and spaced, texts about as long as it allows, and the values of every kind."""
    choices = [st.sampled_from(VALUES), st.text(max_size=14)]
    if field is not None and field.data_type.lower() in KIND_VALUES:
        choices += [st.sampled_from(KIND_VALUES[field.data_type.lower()])] * 3
    if field is not None and field.options:
        options = st.sampled_from(field.options)
        pads = st.sampled_from(["", " "])
        choices.append(
            st.builds(lambda option, case, pad: pad + case(option) + pad, options, cased, pads)
        )
    if field is not None and field.max_length is not None:
        lengths = st.integers(min_value=field.max_length - 1, max_value=field.max_length + 1)
        pieces = st.sampled_from(["x", "\U0001f600", " "])
        choices.append(st.builds(lambda n, piece: piece * n, lengths, pieces))
    return st.one_of(choices)


def plain(field: FieldSpec) -> str:
    """A value of the field's kind that breaks no rule (unless the field is too short for it)."""
    if field.data_type.lower() == "dropdown" and field.options:
        return field.options[0]
    of_kind = {"number": "1", "datetime": "2025-06-03 09:41:07", "date": "2025-06-03"}
    return (of_kind | {"boolean": "true"}).get(field.data_type.lower(), "a")


@st.composite
def activities(draw: st.DrawFn, types: list[ActivityTypeSpec]) -> dict[str, Any]:
    """Close to a valid activity, so that one rule at a time decides: its type's mandatory
    fields mostly given a plain value, one field given a value drawn around the rules, now and
    then a name its type does not have (or a system one)."""
    chosen = draw(st.sampled_from([*types, *types, *types, None]))
    event = UNDECLARED_EVENT if chosen is None else chosen.event
    specs = {field.schema_name.lower(): field for field in (chosen.fields if chosen else ())}
    given_fields = {
        key: (field.schema_name, plain(field))
        for key, field in specs.items()
        if field.mandatory and draw(st.integers(min_value=0, max_value=5))
    }
    own = [field.schema_name for field in specs.values()] or NAMES
    probe = draw(st.sampled_from(own))
    given_fields[probe.lower()] = (draw(cased)(probe), draw(values(specs.get(probe.lower()))))
    extra = draw(st.sampled_from([None] * 30 + NAMES))
    if extra is not None and extra.lower() not in given_fields:
        given_fields[extra.lower()] = (extra, draw(values(specs.get(extra.lower()))))
    body: dict[str, Any] = {
        "RelatedProspectId": PRIMARY_LEAD_ID,
        "ActivityEvent": event,
        "Fields": [{"SchemaName": name, "Value": value} for name, value in given_fields.values()],
    }
    validate = draw(st.sampled_from([None, True, False]))
    if validate is not None:
        body["ValidateDropDownOptions"] = validate
    return body


@settings(
    max_examples=600,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(data=st.data())
def test_refusals_are_exactly_what_the_emulator_rejects(tenant, http, data):
    types = data.draw(activity_types(), label="types")
    tenant.configure(activity_types=types)
    tenant.reset()
    answer = http.request("GET", tenant.url + ACTIVITY_TYPES_PATH, headers=HEADERS)
    assert answer.status == 200
    schema = parse_activity_types(json.loads(answer.data))
    assert schema is not None
    for body in data.draw(st.lists(activities(types), min_size=1, max_size=10), label="activities"):
        response = http.request(
            "POST", tenant.url + CREATE_PATH, body=json.dumps(body), headers=HEADERS
        )
        reply = json.loads(response.data)
        if response.status == 200:
            assert reply["Status"] == "Success"
            rejected = None
        else:
            assert response.status == 500, reply
            assert reply["ExceptionType"] in SCHEMA_EXCEPTIONS, reply
            rejected = f"{reply['ExceptionType']}: {reply['ExceptionMessage']}"
        refused = [f"{e.field}: {e.message}" for e in refusals(schema, body)]
        assert bool(refused) == bool(rejected), (body, rejected, refused)
