"""Over HTTP: session creation, every token class, Basic username rules, encoded paths."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date
from typing import TYPE_CHECKING
from urllib.parse import quote

import pytest
from yarl import URL

from sandbox import errors
from sandbox.scenario import Scenario, build_scenario
from sandbox.server import SandboxServer
from sandbox.state import SandboxState
from sandbox.tokens import decode
from sandbox.truth import describe

if TYPE_CHECKING:
    from conftest import Tx


def _assert_api_error(body: dict[str, object], status: int, code: int | None) -> None:
    assert body["status"] == status
    assert body["code"] == code
    assert set(body) == {
        "status",
        "code",
        "message",
        "link",
        "developerMessage",
        "validationMessages",
        "requestId",
    }
    assert isinstance(body["requestId"], str)


async def test_put_create_returns_200_and_a_token(tx: Tx) -> None:
    scenario = tx.scenario
    query = (
        f"consumerToken={quote(scenario.consumer.value, safe='')}"
        f"&employeeToken={quote(scenario.token('good').value, safe='')}&expirationDate=2099-12-31"
    )
    url = URL(f"{tx.server.base_url}/token/session/:create?{query}", encoded=True)
    async with tx.http.put(url) as response:
        assert response.status == 200
        value = (await response.json())["value"]
    assert set(value) >= {"id", "version", "url", "consumerToken", "employeeToken", "token"}
    assert value["expirationDate"] == "2099-12-31"
    assert value["employeeToken"] == {
        "id": scenario.token("good").id,
        "url": f"{tx.server.base_url.removeprefix('http://')}/token/employee/{scenario.token('good').id}",
    }
    assert value["token"].endswith("=")
    response, who = await tx.get("/token/session/>whoAmI", value["token"])
    assert response.status == 200
    assert who["value"]["companyId"] == scenario.token("good").company_id


async def test_post_create_is_201_and_body_less_post_is_422(tx: Tx) -> None:
    assert (await tx.create()).status == 201
    async with tx.http.post(f"{tx.server.base_url}/token/session/:create") as response:
        assert response.status == 422
        _assert_api_error(await response.json(), 422, 15000)


async def test_expiration_date_must_be_later_than_today(tx: Tx) -> None:
    response = await tx.create(expirationDate="2001-01-01")
    assert response.status == 422


@pytest.mark.parametrize(
    ("label", "expected"),
    [
        ("expired", (422, 18000, "arg:employeeToken", errors.UNKNOWN_EMPLOYEE)),
        ("not_shared", (422, 18000, "arg:employeeToken", errors.UNSHARED_EMPLOYEE)),
        ("integrations_off", (403, 9000, None, errors.INTEGRATIONS_OFF)),
    ],
)
async def test_broken_tokens_fail_create_as_section_12_says(
    tx: Tx, label: str, expected: tuple[int, int, str | None, str]
) -> None:
    status, code, field, sentence = expected
    body = {
        "consumerToken": tx.scenario.consumer.value,
        "employeeToken": tx.scenario.token(label).value,
        "expirationDate": "2099-01-01",
    }
    async with tx.http.post(f"{tx.server.base_url}/token/session/:create", json=body) as response:
        assert response.status == status
        error = await response.json()
    _assert_api_error(error, status, code)
    if field is None:
        assert error["message"] == sentence
    else:
        assert error["message"] == "Validering feilet."
        assert error["validationMessages"][0]["field"] == field
        assert error["validationMessages"][0]["message"] == sentence


async def test_wrong_consumer_or_unknown_employee_token(tx: Tx) -> None:
    for override, field in (
        ({"consumerToken": "bm9wZQ=="}, "arg:consumerToken"),
        ({"employeeToken": "bm9wZQ=="}, "arg:employeeToken"),
    ):
        body = {
            "consumerToken": tx.scenario.consumer.value,
            "employeeToken": tx.scenario.token("good").value,
            "expirationDate": "2099-01-01",
        } | override
        async with tx.http.post(f"{tx.server.base_url}/token/session/:create", json=body) as r:
            assert r.status == 422
            error = await r.json()
        _assert_api_error(error, 422, 18000)
        assert error["validationMessages"][0]["field"] == field


async def test_no_ledger_access_token_can_log_in_but_not_read_the_ledger(tx: Tx) -> None:
    token = await tx.session("no_ledger_access")
    assert (await tx.get("/token/session/>whoAmI", token))[0].status == 200
    response, error = await tx.get(
        "/ledger/posting", token, dateFrom="2024-01-01", dateTo="2025-01-01"
    )
    assert response.status == 403
    _assert_api_error(error, 403, 9000)
    assert error["message"] == errors.NO_PERMISSION
    assert "X-Rate-Limit-Limit" in response.headers


async def test_accountant_rules(tx: Tx) -> None:
    token = await tx.session("accountant")
    response, who = await tx.get("/token/session/>whoAmI", token)
    assert response.status == 200
    assert who["value"]["employeeIsProxy"] is False
    response, clients = await tx.get("/company/>withLoginAccess", token)
    assert response.status == 200
    ids = [c["id"] for c in clients["values"]]
    assert len(ids) >= 3
    assert all(c["customerCompanyId"] != c["id"] for c in clients["values"])
    response, error = await tx.get("/ledger/annualAccount", token)
    assert response.status == 403
    assert error["code"] == 9000
    assert error["message"] == errors.COMPANY_OWNED
    for client in clients["values"]:
        response, years = await tx.get("/ledger/annualAccount", token, str(client["id"]))
        assert response.status == 200
        assert years["values"]
        response, who = await tx.get("/token/session/>whoAmI", token, str(client["id"]))
        assert who["value"]["companyId"] == client["id"]
        assert who["value"]["employeeIsProxy"] is True
    response, error = await tx.get(
        "/ledger/annualAccount", token, str(clients["values"][0]["customerCompanyId"])
    )
    assert response.status == 401
    assert str(clients["values"][0]["customerCompanyId"]) in error["developerMessage"]


async def test_username_rules(tx: Tx) -> None:
    token = await tx.session("good")
    own = tx.scenario.token("good").company_id
    assert (await tx.get("/ledger/annualAccount", token, ""))[0].status == 200
    assert (await tx.get("/ledger/annualAccount", token, str(own)))[0].status == 200
    response, error = await tx.get("/ledger/annualAccount", token, "abc")
    assert response.status == 401
    _assert_api_error(error, 401, 3000)
    assert "0" in error["developerMessage"]
    response, error = await tx.get("/ledger/annualAccount", token, "99999")
    assert response.status == 401
    assert "99999" in error["developerMessage"]
    response, clients = await tx.get("/company/>withLoginAccess", token)
    assert clients["values"] == []
    assert clients["fullResultSize"] == 0


async def test_unknown_or_deleted_session_is_401_without_rate_headers(tx: Tx) -> None:
    response, error = await tx.get("/token/session/>whoAmI", "bm9wZQ==")
    assert response.status == 401
    _assert_api_error(error, 401, 3000)
    assert "X-Rate-Limit-Limit" not in response.headers
    assert response.headers["x-tlx-request-id"] == error["requestId"]
    token = await tx.session()
    async with tx.http.delete(
        f"{tx.server.base_url}/token/session/{quote(token, safe='')}", headers=tx.auth(token)
    ) as deleted:
        assert deleted.status == 204
    assert (await tx.get("/token/session/>whoAmI", token))[0].status == 401
    async with tx.http.get(f"{tx.server.base_url}/token/session/>whoAmI") as missing:
        assert missing.status == 401


@pytest.mark.parametrize(
    "path",
    [
        "/token/session/>whoAmI",
        "/token/session/%3EwhoAmI",
        "/company/>withLoginAccess",
        "/company/%3EwithLoginAccess",
        "/company/%3ewithLoginAccess",
    ],
)
async def test_special_characters_in_paths_work_raw_and_encoded(tx: Tx, path: str) -> None:
    token = await tx.session()
    url = URL(tx.server.base_url + path, encoded=True)
    async with tx.http.get(url, headers=tx.auth(token)) as response:
        assert response.status == 200


async def test_create_action_path_needs_a_literal_colon(tx: Tx) -> None:
    body = {
        "consumerToken": tx.scenario.consumer.value,
        "employeeToken": tx.scenario.token("good").value,
        "expirationDate": "2099-01-01",
    }
    url = URL(f"{tx.server.base_url}/token/session/:create", encoded=True)
    async with tx.http.post(url, json=body) as response:
        assert response.status == 201


@pytest.mark.parametrize("action", ["%3Acreate", "%3acreate"])
@pytest.mark.parametrize("method", ["POST", "PUT", "GET"])
async def test_an_encoded_colon_is_the_token_path_which_allows_only_delete(
    tx: Tx, action: str, method: str
) -> None:
    body = {
        "consumerToken": tx.scenario.consumer.value,
        "employeeToken": tx.scenario.token("good").value,
        "expirationDate": "2099-01-01",
    }
    url = URL(f"{tx.server.base_url}/token/session/{action}", encoded=True)
    async with tx.http.request(method, url, json=body) as response:
        assert response.status == 405
        error = await response.json()
    _assert_api_error(error, 405, 4000)
    assert error["developerMessage"] == "Allowed: DELETE"
    assert error["requestId"] == response.headers["x-tlx-request-id"]


async def test_delete_on_an_encoded_colon_is_a_session_token_lookup(tx: Tx) -> None:
    token = await tx.session()
    url = URL(f"{tx.server.base_url}/token/session/%3Acreate", encoded=True)
    async with tx.http.delete(url, headers=tx.auth(token)) as response:
        assert response.status == 404
        _assert_api_error(await response.json(), 404, 6000)
    assert (await tx.get("/token/session/>whoAmI", token))[0].status == 200


@pytest.mark.parametrize(
    "path", ["/company/%3AwithLoginAccess", "/ledger/posting%3Aall", "/token/session/%3Acreate/x"]
)
async def test_an_encoded_colon_anywhere_else_is_no_endpoint(tx: Tx, path: str) -> None:
    token = await tx.session()
    url = URL(tx.server.base_url + path, encoded=True)
    async with tx.http.get(url, headers=tx.auth(token)) as response:
        assert response.status == 404
        error = await response.json()
    _assert_api_error(error, 404, 6000)
    assert error["developerMessage"] == "No such endpoint."


async def test_company_by_id_and_unknown_paths(tx: Tx) -> None:
    token = await tx.session()
    own = tx.scenario.token("good").company_id
    response, company = await tx.get(f"/company/{own}", token)
    assert response.status == 200
    assert company["value"]["organizationNumber"]
    assert (await tx.get("/company/999", token))[0].status == 404
    response, error = await tx.get("/no/such/thing", token)
    assert response.status == 404
    _assert_api_error(error, 404, 6000)


async def test_every_start_issues_new_unpredictable_session_tokens(
    tx_for: Callable[[SandboxServer], Tx], small_scenario: Scenario
) -> None:
    first_tokens = []
    for _ in range(2):
        async with SandboxServer(small_scenario) as server:
            first_tokens.append(await tx_for(server).session())
    assert first_tokens[0] != first_tokens[1], "a restart must not hand out the same token"
    for token in first_tokens:
        decoded = decode(token)
        assert decoded is not None
        token_id, secret = decoded
        assert token_id > 0
        assert uuid.UUID(secret).version == 4
    states = [SandboxState(small_scenario) for _ in range(2)]
    good = small_scenario.token("good")
    created = [s.sessions.create(good, date(2099, 1, 1)) for s in states]
    assert created[0].value != created[1].value
    assert created[0].encryption_key != created[1].encryption_key
    assert describe(small_scenario) == describe(build_scenario("small", 1)), "scenario stays"
