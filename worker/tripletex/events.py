"""Tripletex's change detection, pure: webhook subscriptions and deliveries, the voucher a
delivery names, and checksum probes of a date range (`tripletex-api.md` §8)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

import orjson

from shared.freshness import VOUCHER_EVENTS
from worker.tripletex.protocol import POSTING_FIELDS, last_page

#: the master-data events (issue 20's registers), each with the register its object lives in:
#: a delivery of one refreshes that register (one request), not the object alone
MASTER_EVENTS = {
    f"{kind}.{verb}": table
    for kind, table in (
        ("customer", "customers"),
        ("supplier", "suppliers"),
        ("project", "projects"),
        ("product", "products"),
        ("account", "ledger_accounts"),
    )
    for verb in ("create", "update", "delete")
}
#: every event an organization with webhooks is subscribed to, vouchers first
SUBSCRIBED_EVENTS = (*VOUCHER_EVENTS, *MASTER_EVENTS)
#: the header our per-subscription secret comes back in on every delivery (Tripletex sends the
#: subscription's `authHeaderName`/`authHeaderValue` as-is)
AUTH_HEADER = "X-Ledgersync-Secret"
#: a voucher as a delivery's job fetches it: version and date, and its postings as an import
#: asks for them
VOUCHER_FIELDS = f"id,version,date,year,postings({POSTING_FIELDS})"
#: what a probe of a range asks for: each voucher's id and version, nothing more
PROBE_FIELDS = "id,version"
#: vouchers asked for by one probe; ranges are planned far below it (a probe is one page)
PROBE_PAGE = 10_000
#: the If-None-Match of a range's first probe: any non-empty value asks for a checksum
FIRST_DIGEST = "0"
#: the fields a subscription is listed with
SUBSCRIPTION_FIELDS = "id,event,targetUrl,status"


@dataclass(frozen=True, slots=True)
class Subscription:
    """A webhook subscription as Tripletex lists it."""

    id: int
    event: str
    target_url: str
    #: ACTIVE, or a word for why it is not (DISABLED_TOO_MANY_ERRORS, ...)
    status: str

    @property
    def active(self) -> bool:
        """Whether Tripletex delivers to it."""
        return self.status == "ACTIVE"


@dataclass(frozen=True, slots=True)
class Delivery:
    """One webhook delivery's body: which subscription, which event, which object."""

    subscription_id: int
    event: str
    object_id: int


@dataclass(frozen=True, slots=True)
class Probe:
    """What a checksum probe of a range found."""

    #: True when nothing in the range changed since the stored digest and hash
    unchanged: bool
    #: the digest to send next time (the stored one again after a 304)
    digest: str | None
    #: our own hash of the vouchers' ids and versions (None after a 304: the stored one holds)
    content_hash: str | None
    #: vouchers in the range (None after a 304)
    vouchers: int | None
    #: whether the endpoint answers with checksums: True after a 304 or a new digest, False when
    #: it sent back the very digest it was given (or none), None when it cannot be told yet
    checksums: bool | None
    #: False when the range holds more vouchers than one page: it must be split
    complete: bool = True


def parse_subscription(item: Any) -> Subscription:
    """A `/event/subscription` object -> Subscription."""
    return Subscription(
        int(item["id"]), str(item["event"]), str(item.get("targetUrl") or ""), str(item["status"])
    )


def subscription_body(event: str, target_url: str, secret: str) -> dict[str, str]:
    """The body of `POST /event/subscription`: the secret comes back in our own header."""
    return {
        "event": event,
        "targetUrl": target_url,
        "authHeaderName": AUTH_HEADER,
        "authHeaderValue": secret,
    }


def parse_delivery(body: bytes) -> Delivery:
    """A delivery's JSON body -> Delivery; ValueError when it is not one."""
    try:
        data = orjson.loads(body)
        delivery = Delivery(int(data["subscriptionId"]), str(data["event"]), int(data["id"]))
    except (orjson.JSONDecodeError, TypeError, KeyError, ValueError) as exc:
        raise ValueError(f"not a Tripletex delivery: {exc}") from None
    if "." not in delivery.event:
        raise ValueError(f"not a Tripletex event: {delivery.event!r}")
    return delivery


def content_hash(values: list[Any]) -> str:
    """Our own checksum of a range's vouchers: their ids and versions, in id order."""
    pairs = sorted((int(v["id"]), v.get("version")) for v in values)
    return hashlib.sha256(orjson.dumps(pairs)).hexdigest()


def read_probe(status: int, body: bytes, sent: str, known_hash: str | None) -> Probe:
    """A probe's answer: 304 is unchanged (so checksums work); a 200 with a new checksum is a
    change; a 200 without one (checksums unsupported, or a first probe) is compared by our own
    hash of the vouchers' ids and versions."""
    if status == 304:
        return Probe(True, sent, None, None, True)
    payload = orjson.loads(body)
    values = payload["values"]
    digest = payload.get("versionDigest")
    real = isinstance(digest, str) and bool(digest) and digest != sent
    # a first probe cannot tell a checksum from a fixed text: the second one can (a fixed text
    # comes back as sent, without a 304)
    checksums = None if sent == FIRST_DIGEST else real
    ours = content_hash(values)
    complete = last_page(0, PROBE_PAGE, len(values), None)
    # a new checksum where one was stored is a change even when the ids and versions are the
    # same: whether a posting's change raises its voucher's version is unverified, and a range
    # imported once more costs less than a change missed (the digest's known false negatives)
    moved = real and sent != FIRST_DIGEST
    return Probe(
        known_hash == ours and complete and not moved,
        digest if real else None,
        ours,
        len(values),
        checksums,
        complete,
    )
