"""Reading Tripletex's change detection, pure: deliveries, subscriptions, checksum probes."""

from __future__ import annotations

import orjson
import pytest

from worker.tripletex.events import (
    AUTH_HEADER,
    FIRST_DIGEST,
    PROBE_PAGE,
    content_hash,
    parse_delivery,
    parse_subscription,
    read_probe,
    subscription_body,
)

VOUCHERS = [{"id": 7, "version": 2}, {"id": 3, "version": 0}]


def page(values: list[dict[str, int]], digest: object) -> bytes:
    return orjson.dumps(
        {"from": 0, "count": len(values), "versionDigest": digest, "values": values}
    )


def test_a_delivery_is_read_from_its_documented_shape() -> None:
    body = b'{"subscriptionId": 12, "event": "voucher.update", "id": 345, "value": {"id": 345}}'
    delivery = parse_delivery(body)
    assert (delivery.subscription_id, delivery.event, delivery.object_id) == (
        12,
        "voucher.update",
        345,
    )


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"[]",
        b'{"event": "voucher.update", "id": 1}',
        b'{"subscriptionId": "x", "event": "voucher.update", "id": 1}',
        b'{"subscriptionId": 1, "event": "nodot", "id": 1}',
    ],
)
def test_anything_else_is_not_a_delivery(body: bytes) -> None:
    with pytest.raises(ValueError, match="not a Tripletex"):
        parse_delivery(body)


def test_a_subscription_sends_our_secret_back_in_our_own_header() -> None:
    body = subscription_body("voucher.create", "https://x.example/tripletex/k", "s3cret")
    assert body["authHeaderName"] == AUTH_HEADER
    assert body["authHeaderValue"] == "s3cret"
    listed = parse_subscription({"id": 5, "event": "voucher.create", "status": "ACTIVE"})
    assert listed.active
    disabled = parse_subscription({"id": 5, "event": "x.y", "status": "DISABLED_TOO_MANY_ERRORS"})
    assert not disabled.active


def test_the_content_hash_ignores_order_but_not_versions() -> None:
    assert content_hash(VOUCHERS) == content_hash(list(reversed(VOUCHERS)))
    assert content_hash(VOUCHERS) != content_hash([{"id": 7, "version": 3}, VOUCHERS[1]])
    assert content_hash(VOUCHERS) != content_hash(VOUCHERS[:1])


def test_a_304_is_unchanged_and_proves_checksums_work() -> None:
    probe = read_probe(304, b"", "abc", "hash")
    assert probe.unchanged
    assert probe.checksums is True
    assert probe.digest == "abc"


def test_a_first_probe_records_the_digest_and_hash() -> None:
    probe = read_probe(200, page(VOUCHERS, "d1"), FIRST_DIGEST, None)
    assert not probe.unchanged
    assert (probe.digest, probe.content_hash, probe.vouchers) == ("d1", content_hash(VOUCHERS), 2)
    assert probe.checksums is None  # a fixed text would look the same the first time
    assert probe.complete


def test_a_new_checksum_is_a_change_even_with_the_same_ids_and_versions() -> None:
    """A posting's change may not raise its voucher's version (unverified): the digest moved, so
    the range is imported again, though the digest may move without a change (known false
    negatives): a range too many costs less than a change missed."""
    probe = read_probe(200, page(VOUCHERS, "d2"), "d1", content_hash(VOUCHERS))
    assert not probe.unchanged
    assert probe.digest == "d2"


def test_an_endpoint_that_sends_back_the_digest_it_got_has_no_checksums() -> None:
    """Unsupported: the same non-checksum text every time; the content hash still decides."""
    text = "'If-None-Match' header not specified"
    probe = read_probe(200, page(VOUCHERS, text), text, content_hash(VOUCHERS))
    assert probe.checksums is False
    assert probe.unchanged
    assert probe.digest is None
    changed = read_probe(200, page(VOUCHERS[:1], text), text, content_hash(VOUCHERS))
    assert changed.checksums is False
    assert not changed.unchanged


def test_a_missing_digest_is_not_taken_for_a_checksum() -> None:
    probe = read_probe(200, page(VOUCHERS, None), "d1", content_hash(VOUCHERS))
    assert probe.checksums is False
    assert probe.unchanged


def test_a_full_page_is_incomplete_and_never_unchanged() -> None:
    values = [{"id": i, "version": 0} for i in range(PROBE_PAGE)]
    probe = read_probe(200, page(values, "d"), "d0", content_hash(values))
    assert not probe.complete
    assert not probe.unchanged
