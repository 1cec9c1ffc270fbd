"""Access/secret keys: header and query-string forms, and the 401 for anything else."""

import pytest

from leadsquared_emulator import (
    DEFAULT_ACCESS_KEY,
    DEFAULT_SECRET_KEY,
    PRIMARY_LEAD_ID,
    RateLimit,
)

ACTIVITY = {"RelatedProspectId": PRIMARY_LEAD_ID, "ActivityEvent": 212}
UNAUTHORIZED = {
    "Status": "Error",
    "ExceptionType": "MXInvalidUserDetailsException",
    "ExceptionMessage": "Invalid User Details",
}


def test_header_keys_are_accepted(client):
    response = client.create(ACTIVITY)
    assert response.status == 200
    assert response.json()["Status"] == "Success"
    assert client.emu.requests_with_keys_in_url() == []


@pytest.mark.parametrize(
    ("access_name", "secret_name"),
    [("x-lsq-accesskey", "x-lsq-secretkey"), ("X-LSQ-ACCESSKEY", "X-LSQ-SECRETKEY")],
)
def test_header_names_are_case_insensitive(client, access_name, secret_name):
    response = client.create(
        ACTIVITY,
        auth=None,
        headers={access_name: DEFAULT_ACCESS_KEY, secret_name: DEFAULT_SECRET_KEY},
    )
    assert response.status == 200


def test_query_string_keys_are_accepted_and_flagged(client):
    response = client.create(ACTIVITY, auth="query")
    assert response.status == 200
    (received,) = client.emu.received
    assert received.query["accessKey"] == [DEFAULT_ACCESS_KEY]
    assert "%24" in received.target  # the $ travelled URL-encoded
    assert received.url_contains(DEFAULT_ACCESS_KEY)
    assert received.url_contains(DEFAULT_SECRET_KEY)
    assert client.emu.requests_with_keys_in_url() == [received]


def test_received_headers_lookup_is_case_insensitive(client):
    client.create(ACTIVITY)
    (received,) = client.emu.received
    assert received.headers["X-LSQ-AccessKey"] == DEFAULT_ACCESS_KEY
    assert received.header("x-lsq-secretkey") == DEFAULT_SECRET_KEY
    assert DEFAULT_SECRET_KEY not in repr(received.headers)
    assert not received.url_contains(DEFAULT_ACCESS_KEY)


@pytest.mark.parametrize(
    "keys",
    [
        {"access_key": DEFAULT_ACCESS_KEY, "secret_key": "f" * 40},
        {"access_key": "u$r" + "f" * 32, "secret_key": DEFAULT_SECRET_KEY},
        {"access_key": "", "secret_key": ""},
    ],
    ids=["wrong-secret", "wrong-access", "empty"],
)
@pytest.mark.parametrize("auth", ["headers", "query"])
def test_wrong_keys_get_401(client, keys, auth):
    response = client.create(ACTIVITY, auth=auth, **keys)
    assert response.status == 401
    assert response.json() == UNAUTHORIZED
    assert client.emu.created == []
    assert client.emu.received[0].status == 401


def test_missing_keys_get_401(client):
    response = client.create(ACTIVITY, auth=None)
    assert response.status == 401
    assert response.json() == UNAUTHORIZED


def test_custom_keys(make_client):
    client = make_client(access_key="u$r" + "a" * 32, secret_key="b" * 40)
    assert client.create(ACTIVITY).status == 401
    assert client.create(ACTIVITY, access_key="u$r" + "a" * 32, secret_key="b" * 40).status == 200


def test_unauthenticated_calls_do_not_use_the_rate_budget(make_client):
    client = make_client(rate_limit=RateLimit(1, 5.0))
    for _ in range(3):
        assert client.create(ACTIVITY, auth=None).status == 401
    assert client.create(ACTIVITY).status == 200
    assert client.create(ACTIVITY).status == 429
