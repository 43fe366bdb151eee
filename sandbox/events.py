"""Tripletex's event API: the event catalogue and each company's webhook subscriptions."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import StrEnum
from operator import attrgetter
from typing import Any
from urllib.parse import urlsplit

from sandbox import errors
from sandbox.fields import FieldsError, parse
from sandbox.register_models import PRODUCT, PROJECT
from sandbox.render import Model, Raw, compile_selection, register
from sandbox.schemas import ACCOUNT, CUSTOMER, SUPPLIER, VOUCHER, url

#: the objects with events, and the model each event's payload has
PAYLOADS = {
    "voucher": VOUCHER,
    "customer": CUSTOMER,
    "supplier": SUPPLIER,
    "project": PROJECT,
    "product": PRODUCT,
    "account": ACCOUNT,
}
#: what happened to the object, as each event's description says it
VERBS = {"create": "created", "update": "updated", "delete": "deleted"}
#: `GET /event`: every event by name with its description and payload model
EVENTS = {
    f"{thing}.{verb}": {
        "description": f"Triggered when a {thing} is {done}"
        + (" (also when its postings change)" if (thing, verb) == ("voucher", "update") else "")
        + (" (value is null)" if verb == "delete" else ""),
        "payloadModel": model.name,
    }
    for thing, model in PAYLOADS.items()
    for verb, done in VERBS.items()
}
#: the fields a delivery's value has when the subscription names none
DEFAULT_FIELDS = "id,version,date,number,year"


class Status(StrEnum):
    """A subscription's status: deliveries go only to ACTIVE ones."""

    ACTIVE = "ACTIVE"
    DISABLED_TOO_MANY_ERRORS = "DISABLED_TOO_MANY_ERRORS"


@dataclass(frozen=True, slots=True)
class Subscription:
    """A webhook subscription of one company; `failures` counts failed deliveries in a row."""

    id: int
    company_id: int
    event: str
    target_url: str
    fields: str
    auth_header_name: str | None
    auth_header_value: str | None = field(default=None, repr=False)
    #: where refs in delivered values point (`host/v2` of the request that created it)
    base: str = "tripletex.no/v2"
    version: int = 0
    status: Status = Status.ACTIVE
    failures: int = 0

    @property
    def selection(self) -> str:
        """The fields a delivery's value is rendered with."""
        return self.fields or DEFAULT_FIELDS

    def headers(self) -> dict[str, str]:
        """The headers of every delivery: JSON, and the custom auth header when there is one."""
        found = {"Content-Type": "application/json"}
        if self.auth_header_name:
            found[self.auth_header_name] = self.auth_header_value or ""
        return found


SUBSCRIPTION = register(
    Model(
        "EventSubscription",
        "event/subscription",
        {
            "id": Raw("id"),
            "version": Raw("version"),
            "url": url("event/subscription"),
            "event": Raw("event"),
            "targetUrl": Raw("target_url"),
            "fields": Raw("fields"),
            "status": Raw("status"),
            "authHeaderName": Raw("auth_header_name"),
        },
        getter=attrgetter,
    )
)
#: the keys a subscription's body may set
SETTABLE = ("event", "targetUrl", "fields", "authHeaderName", "authHeaderValue")


def _text(body: dict[str, Any], key: str) -> str | None:
    value = body.get(key)
    if value is not None and not isinstance(value, str):
        raise errors.invalid(key, f"{key} must be a string.", 15000)
    return value


def checked(body: dict[str, Any], old: Subscription | None = None) -> dict[str, Any]:
    """The subscription's settable values from a POST (old None) or PUT body; 422 / 15000 for an
    unknown event, a targetUrl that is not http(s) or fields the payload model does not have."""
    given = {key: _text(body, key) for key in SETTABLE if key in body}
    event = given.get("event", old.event if old else None)
    if event not in EVENTS:
        raise errors.invalid("event", f"Unknown event {event!r}; see GET /event.", 15000)
    target = given.get("targetUrl", old.target_url if old else None) or ""
    parts = urlsplit(target)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise errors.invalid("targetUrl", "targetUrl must be an http or https URL.", 15000)
    fields = given.get("fields", old.fields if old else "") or ""
    if fields:
        try:
            compile_selection(PAYLOADS[event.partition(".")[0]], parse(fields))
        except FieldsError as error:
            raise errors.invalid("fields", str(error), 15000) from None
    name = given.get("authHeaderName", old.auth_header_name if old else None)
    value = given.get("authHeaderValue", old.auth_header_value if old else None)
    return {
        "event": event,
        "target_url": target,
        "fields": fields,
        "auth_header_name": name or None,
        "auth_header_value": value,
    }


class Subscriptions:
    """Every company's subscriptions; ids are unique across companies, as on Tripletex."""

    def __init__(self) -> None:
        self._by_id: dict[int, Subscription] = {}
        self._next = 1

    def of(self, company_id: int) -> list[Subscription]:
        """A company's subscriptions, by id."""
        return [s for s in self._by_id.values() if s.company_id == company_id]

    def get(self, sid: int, company_id: int | None = None) -> Subscription | None:
        """A subscription by id (None when unknown or, given a company, another company's)."""
        found = self._by_id.get(sid)
        if found is None or company_id not in (None, found.company_id):
            return None
        return found

    def create(self, company_id: int, values: dict[str, Any]) -> Subscription:
        """Add an ACTIVE subscription from `checked` values."""
        created = Subscription(self._next, company_id, **values)
        self._by_id[created.id] = created
        self._next += 1
        return created

    def update(self, sid: int, **changes: Any) -> Subscription:
        """Change a subscription (its version rises) and return it."""
        old = self._by_id[sid]
        self._by_id[sid] = replace(old, version=old.version + 1, **changes)
        return self._by_id[sid]

    def count_delivery(self, sid: int, delivered: bool, disable_after: int) -> Subscription | None:
        """Count a delivery's outcome: `disable_after` failures in a row disable it."""
        old = self._by_id.get(sid)
        if old is None:
            return None
        failures = 0 if delivered else old.failures + 1
        if old.status is Status.ACTIVE and failures >= disable_after > 0:
            return self.update(sid, failures=failures, status=Status.DISABLED_TOO_MANY_ERRORS)
        self._by_id[sid] = replace(old, failures=failures)
        return self._by_id[sid]

    def delete(self, sid: int) -> None:
        """Remove a subscription."""
        self._by_id.pop(sid, None)
