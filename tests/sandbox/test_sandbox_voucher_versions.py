"""Over HTTP: voucher versions rise with every change, checksums follow them, and the voucher
fetch the webhook client does (postings nested under the client's own field list)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sandbox.envelope import NO_DIGEST
from sandbox.fields import parse
from worker.tripletex.protocol import POSTING_FIELDS

if TYPE_CHECKING:
    from conftest import Tx

OWN = 201
#: March 2024 of company 201, where the tests book their vouchers
FROM, TO = "2024-03-01", "2024-04-01"
TWO = {
    "date": "2024-03-05",
    "postings": [{"accountNumber": 1920, "amount": 100}, {"accountNumber": 3000, "amount": -100}],
}


async def _probe(tx: Tx, token: str, digest: str, path: str = "/ledger/voucher") -> tuple[int, Any]:
    response, body = await tx.get(
        path,
        token,
        headers={"If-None-Match": digest},
        dateFrom=FROM,
        dateTo=TO,
        fields="id,version",
    )
    return response.status, body


async def _version(tx: Tx, token: str, vid: int) -> int:
    response, body = await tx.get(f"/ledger/voucher/{vid}", token, fields="id,version")
    assert response.status == 200
    return int(body["value"]["version"])


async def test_versions_rise_and_checksums_follow(fresh: Tx) -> None:
    token = await fresh.session()
    status, first = await _probe(fresh, token, "0")
    assert status == 200
    digest = first["versionDigest"]
    assert digest != NO_DIGEST
    assert (await _probe(fresh, token, digest))[0] == 304, "unchanged"
    status, added = await fresh.control("POST", f"/companies/{OWN}/postings", TWO)
    vid, (one, two) = added["voucher"], added["postings"]
    status, body = await _probe(fresh, token, digest)
    assert status == 200, "a voucher was added"
    assert {"id": vid, "version": 0} in body["values"]
    digest = body["versionDigest"]
    path = f"/companies/{OWN}/postings"
    assert (await fresh.control("PATCH", f"{path}/{one}", {"description": "Ny tekst"}))[0] == 200
    assert await _version(fresh, token, vid) == 1
    status, body = await _probe(fresh, token, digest)
    assert status == 200, "a posting of a voucher in the range changed"
    assert {"id": vid, "version": 1} in body["values"]
    digest = body["versionDigest"]
    assert (await _probe(fresh, token, digest))[0] == 304
    assert (await fresh.control("DELETE", f"{path}/{one}"))[0] == 204
    assert await _version(fresh, token, vid) == 2
    status, body = await _probe(fresh, token, digest)
    assert status == 200, "a posting was deleted"
    digest = body["versionDigest"]
    assert (await fresh.control("DELETE", f"{path}/{two}"))[0] == 204
    assert (await fresh.get(f"/ledger/voucher/{vid}", token))[0].status == 404
    status, body = await _probe(fresh, token, digest)
    assert status == 200, "the voucher went"
    assert vid not in {v["id"] for v in body["values"]}


async def test_other_vouchers_keep_their_version(fresh: Tx) -> None:
    token = await fresh.session()
    _, listed = await fresh.get("/ledger/voucher", token, dateFrom=FROM, dateTo=TO)
    untouched = listed["values"][0]
    _, added = await fresh.control("POST", f"/companies/{OWN}/postings", TWO)
    patch = {"amount": 250}
    path = f"/companies/{OWN}/postings/{added['postings'][0]}"
    await fresh.control("PATCH", path, patch)
    await fresh.control("PATCH", path, patch)
    assert await _version(fresh, token, added["voucher"]) == 2
    assert await _version(fresh, token, untouched["id"]) == untouched["version"] == 0


async def test_checksum_unsupported_paths_ignore_if_none_match(fresh: Tx) -> None:
    token = await fresh.session()
    status, faults = await fresh.control(
        "PATCH", "/faults", {"checksum_unsupported": ["/v2/ledger/voucher"]}
    )
    assert (status, faults["checksum_unsupported"]) == (200, ["/ledger/voucher"])
    for digest in ("0", "anything"):
        status, body = await _probe(fresh, token, digest)
        assert (status, body["versionDigest"]) == (200, NO_DIGEST)
    status, body = await _probe(fresh, token, "0", "/ledger/posting")
    assert body["versionDigest"] != NO_DIGEST, "other paths keep their checksums"
    assert (await _probe(fresh, token, body["versionDigest"], "/ledger/posting"))[0] == 304
    status, error = await fresh.control("PATCH", "/faults", {"checksum_unsupported": "x"})
    assert status == 422
    assert "checksum_unsupported" in error["error"]


async def test_voucher_with_the_clients_posting_fields(tx: Tx) -> None:
    token = await tx.session()
    _, listed = await tx.get("/ledger/voucher", token, dateFrom=FROM, dateTo=TO)
    vid = listed["values"][0]["id"]
    fields = f"id,version,date,year,postings({POSTING_FIELDS})"
    response, body = await tx.get(f"/ledger/voucher/{vid}", token, fields=fields)
    assert response.status == 200, body
    voucher = body["value"]
    assert set(voucher) == {"id", "version", "date", "year", "postings"}
    names = {s.name for s in parse(POSTING_FIELDS)}
    assert len(voucher["postings"]) >= 2
    for posting in voucher["postings"]:
        assert set(posting) == names
        assert posting["voucher"]["id"] == vid
        assert set(posting["voucher"]) == {
            "id",
            "version",
            "number",
            "year",
            "description",
            "voucherType",
        }
        assert set(posting["account"]) == {"id", "number", "name"}
        assert posting["date"] == voucher["date"]
    _, one = await tx.get(
        f"/ledger/posting/{voucher['postings'][0]['id']}", token, fields=POSTING_FIELDS
    )
    assert one["value"] == voucher["postings"][0], "nested as the posting list renders it"
