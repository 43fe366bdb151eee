"""The control API can revoke an employee token: it then answers like an expired one."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sandbox import errors

if TYPE_CHECKING:
    from conftest import Tx


async def test_a_revoked_token_ends_its_sessions_and_opens_no_new_one(fresh: Tx) -> None:
    token = await fresh.session("good")
    other = await fresh.session("accountant")

    status, answer = await fresh.control("POST", "/tokens/good/revoke")

    assert status == 200
    assert answer == {"revoked": "good", "sessions_expired": 1}
    assert (await fresh.get("/token/session/>whoAmI", token))[0].status == 401
    assert (await fresh.get("/token/session/>whoAmI", other))[0].status == 200, "others live on"
    response = await fresh.create("good")
    assert response.status == 422
    async with fresh.http.post(
        f"{fresh.server.base_url}/token/session/:create",
        json={
            "consumerToken": fresh.scenario.consumer.value,
            "employeeToken": fresh.scenario.token("good").value,
            "expirationDate": "2099-01-01",
        },
    ) as reply:
        error = await reply.json()
    assert (error["status"], error["code"]) == (422, 18000)
    assert error["validationMessages"][0]["field"] == "arg:employeeToken"
    assert error["validationMessages"][0]["message"] == errors.UNKNOWN_EMPLOYEE


async def test_revoking_an_unknown_label_is_404(fresh: Tx) -> None:
    status, answer = await fresh.control("POST", "/tokens/nobody/revoke")
    assert status == 404
    assert "nobody" in answer["error"]
