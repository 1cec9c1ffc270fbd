"""Which host: UserByAccessKey.Get, a wrong regional host, and unknown paths."""

import pytest

from leadsquared_emulator import PRIMARY_EMAIL, PRIMARY_LEAD_ID, RateLimit

USER_PATH = "/v2/Authentication.svc/UserByAccessKey.Get"
ACTIVITY = {"RelatedProspectId": PRIMARY_LEAD_ID, "ActivityEvent": 212}
UNAUTHORIZED = {
    "Status": "Error",
    "ExceptionType": "MXInvalidUserDetailsException",
    "ExceptionMessage": "Invalid User Details",
}


def who_am_i(client, **kwargs):
    return client.request("GET", USER_PATH, content_type=None, **kwargs)


@pytest.mark.parametrize("auth", ["headers", "query"])
def test_user_by_access_key_names_the_emulator_itself_by_default(client, auth):
    response = who_am_i(client, auth=auth)
    assert response.status == 200
    assert response.headers["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["LSQCommonServiceURLs"] == {"api": client.emu.url, "app": client.emu.url}
    assert body["Role"] == "Administrator"
    assert {"ID", "Name", "EmailAddress", "OrgShortCode", "TimeZone"} <= set(body)
    assert "Status" not in body  # a success is the bare object, not the Status envelope


def test_user_by_access_key_names_the_configured_host(make_client):
    client = make_client(home_api_host="api-in21.leadsquared.com")
    urls = who_am_i(client).json()["LSQCommonServiceURLs"]
    assert urls == {"api": "api-in21.leadsquared.com", "app": "api-in21.leadsquared.com"}
    client.emu.configure(home_api_host="http://127.0.0.1:1234")
    assert who_am_i(client).json()["LSQCommonServiceURLs"]["api"] == "http://127.0.0.1:1234"
    with pytest.raises(ValueError, match="home_api_host"):
        client.emu.configure(home_api_host=" ")


def test_user_by_access_key_needs_valid_keys(client):
    assert who_am_i(client, auth=None).status == 401
    response = who_am_i(client, secret_key="f" * 40)
    assert response.status == 401
    assert response.json() == UNAUTHORIZED


def test_user_by_access_key_is_get_only_and_uses_the_rate_budget(make_client):
    client = make_client(rate_limit=RateLimit(1, 5.0))
    assert client.request("POST", USER_PATH, {}).status == 405
    assert who_am_i(client).status == 200
    assert who_am_i(client).status == 429


def test_wrong_host_answers_401_everywhere_but_user_by_access_key(make_client):
    client = make_client(wrong_host=True, home_api_host="api-us11.leadsquared.com")
    calls = [
        client.create(ACTIVITY),
        client.create(ACTIVITY, auth="query"),
        client.bulk([ACTIVITY]),
        client.request(
            "POST", "/v2/ProspectActivity.svc/Retrieve", {}, query={"leadId": PRIMARY_LEAD_ID}
        ),
        client.request(
            "GET",
            "/v2/LeadManagement.svc/Leads.GetByEmailaddress",
            content_type=None,
            query={"emailaddress": PRIMARY_EMAIL},
        ),
        client.request(
            "GET", "/v2/LeadManagement.svc/Leads.GetById", content_type=None, query={"id": "x"}
        ),
    ]
    assert [r.status for r in calls] == [401] * len(calls)
    assert all(r.json() == UNAUTHORIZED for r in calls)
    assert client.emu.created == []

    response = who_am_i(client)
    assert response.status == 200
    assert response.json()["LSQCommonServiceURLs"]["api"] == "api-us11.leadsquared.com"
    assert who_am_i(client, auth=None).status == 401  # keys are still checked there


def test_wrong_host_does_not_use_the_rate_budget(make_client):
    client = make_client(wrong_host=True, rate_limit=RateLimit(1, 5.0))
    for _ in range(3):
        assert client.create(ACTIVITY).status == 401
    client.emu.configure(wrong_host=False)
    assert client.create(ACTIVITY).status == 200


def test_discovering_the_home_host_from_a_wrong_host(make_emulator, make_client, http):
    home = make_emulator()
    wrong_client = make_client(wrong_host=True, home_api_host=home.url)
    wrong = wrong_client.emu
    assert wrong_client.create(ACTIVITY).status == 401
    api = who_am_i(wrong_client).json()["LSQCommonServiceURLs"]["api"]
    assert api == home.url
    response = http.request(
        "POST",
        api + "/v2/ProspectActivity.svc/Create",
        body=b'{"RelatedProspectId": "%s", "ActivityEvent": 212}' % PRIMARY_LEAD_ID.encode(),
        headers={
            "Content-Type": "application/json",
            "x-LSQ-AccessKey": home.config.access_key,
            "x-LSQ-SecretKey": home.config.secret_key,
        },
    )
    assert response.status == 200
    assert len(home.created) == 1
    assert wrong.created == []


@pytest.mark.parametrize(
    "path",
    [
        "/v2/v2/ProspectActivity.svc/Create",
        "/ProspectActivity.svc/Create",
        "/v2/ProspectActivity.svc/Nope",
        "/",
    ],
)
@pytest.mark.parametrize("wrong_host", [False, True])
def test_unknown_paths_are_html_404s(make_client, path, wrong_host):
    client = make_client(wrong_host=wrong_host)
    for auth in ("headers", None):
        response = client.request("POST", path, ACTIVITY, auth=auth)
        assert response.status == 404
        assert response.headers["Content-Type"].startswith("text/html")
        assert response.data.startswith(b"<html>")
    assert client.emu.created == []
    assert [r.status for r in client.emu.received] == [404, 404]
