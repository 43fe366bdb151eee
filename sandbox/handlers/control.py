"""The control API under /_sandbox: faults, truth, explicit changes, sessions and counters.

- `GET /_sandbox`: scenario, seed, companies, page cache; `GET /_sandbox/truth`: the data now.
- `GET|PUT|PATCH /_sandbox/faults`: the knobs of `sandbox.faults.Faults` (PUT resets the rest).
- `GET|PUT /_sandbox/clock`: the wall clock session expiry follows.
- `POST /_sandbox/companies/{company}/postings` (`{"date", "postings": [...]}`),
  `PATCH|DELETE .../postings/{posting}`: change the data; each change is logged at
  `GET /_sandbox/mutations` (with `kind`, `voucher` and `postings`) and sends the voucher's
  webhook event (`sandbox.webhooks`).
- `GET /_sandbox/sessions`, `POST /_sandbox/sessions/expire`,
  `POST /_sandbox/tokens/{label}/revoke`.
- `GET|DELETE /_sandbox/counters`: requests served, by status and endpoint.
- `GET|DELETE /_sandbox/deliveries`, `POST /_sandbox/subscriptions/{id}/disable`: webhooks, see
  `sandbox.handlers.events`.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

import orjson
from aiohttp import web

from sandbox.chart import chart_for, currency_by_code
from sandbox.clock import parse_instant
from sandbox.envelope import json_response
from sandbox.faults import Faults
from sandbox.handlers import state_of
from sandbox.ledger import Ledger
from sandbox.overlay import Patch, PostingSpec
from sandbox.ratelimit import usage
from sandbox.render import money
from sandbox.state import Counters
from sandbox.truth import describe


class ControlError(Exception):
    """A bad control request: answered as `{"error": message}` with a 4xx status."""

    def __init__(self, message: str, status: int = 422) -> None:
        super().__init__(message)
        self.status = status


def reply(data: Any, status: int = 200) -> web.Response:
    """A JSON reply."""
    return json_response(orjson.dumps(data), status)


async def body(request: web.Request) -> dict[str, Any]:
    """The JSON object body, numbers as Decimal (never float)."""
    try:
        data = json.loads(await request.read() or b"{}", parse_float=Decimal)
    except ValueError:
        raise ControlError("The body is not valid JSON.", 400) from None
    if not isinstance(data, dict):
        raise ControlError("The body must be a JSON object.", 400)
    return data


def ore(value: Any, name: str) -> int:
    """An amount (number or string, at most two decimals) in øre."""
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        raise ControlError(f"{name} must be a number with at most two decimals") from None
    if not amount.is_finite() or amount != amount.quantize(Decimal("0.01")):
        raise ControlError(f"{name} must be a number with at most two decimals")
    return int(amount * 100)


async def info(request: web.Request) -> web.Response:
    """GET /_sandbox: what is running."""
    state = state_of(request)
    return reply(
        {
            "scenario": state.scenario.name,
            "seed": state.scenario.seed,
            "base_path": "/v2",
            "companies": [c.id for c in state.scenario.companies],
            "cache": state.cache.stats(),
        }
    )


async def get_faults(request: web.Request) -> web.Response:
    """GET /_sandbox/faults."""
    return reply(state_of(request).faults.to_json())


async def put_faults(request: web.Request) -> web.Response:
    """PUT replaces every fault (missing knobs go back to defaults); PATCH changes some."""
    state = state_of(request)
    base = Faults() if request.method == "PUT" else state.faults
    changes = {
        k: float(v) if isinstance(v, Decimal) else v for k, v in (await body(request)).items()
    }
    try:
        faults = base.updated(changes)
    except ValueError as error:
        raise ControlError(str(error)) from None
    state.set_faults(faults)
    return reply(faults.to_json())


async def truth(request: web.Request) -> web.Response:
    """GET /_sandbox/truth: `describe` of the data as it stands now."""
    state = state_of(request)
    return reply(describe(state.scenario, state.ledgers))


async def get_clock(request: web.Request) -> web.Response:
    """GET /_sandbox/clock: the sandbox's now, Oslo's date and the offset from the real clock."""
    return reply(state_of(request).wall.to_json())


async def put_clock(request: web.Request) -> web.Response:
    """PUT /_sandbox/clock: `{"now": ISO date-time}`, `{"offset_s": seconds}` or `{"reset": true}`;
    the clock runs on from there (session expiry only: rate windows keep real time)."""
    wall, data = state_of(request).wall, await body(request)
    if len(data) != 1 or not {"now", "offset_s", "reset"} >= set(data):
        raise ControlError('Send one of {"now": ISO date-time}, {"offset_s": n}, {"reset": true}.')
    if "now" in data:
        try:
            wall.set(parse_instant(str(data["now"])))
        except ValueError as error:
            raise ControlError(f"now: {error}") from None
    elif "offset_s" in data:
        offset = data["offset_s"]
        if isinstance(offset, bool) or not isinstance(offset, int | Decimal):
            raise ControlError("offset_s must be a number of seconds")
        wall.offset = timedelta(seconds=float(offset))
    elif data["reset"] is True:
        wall.offset = timedelta(0)
    else:
        raise ControlError("reset must be true")
    return reply(wall.to_json())


def _ledger(request: web.Request) -> Ledger:
    ledger = state_of(request).ledgers.get(int(request.match_info["company"]))
    if ledger is None:
        raise ControlError("No such company.", 404)
    return ledger


def _spec(item: dict[str, Any], company_id: int) -> PostingSpec:
    number = item.get("accountNumber")
    if not isinstance(number, int) or number not in chart_for(company_id):
        raise ControlError(f"accountNumber must be one of {sorted(chart_for(company_id))}")
    currency = currency_by_code(str(item.get("currency", "NOK")))
    if currency is None:
        raise ControlError("currency must be NOK, EUR, SEK or USD")
    in_currency = item.get("amountCurrency")
    return PostingSpec(
        number,
        ore(item.get("amount"), "amount"),
        str(item.get("description") or "Bilag lagt til i sandkassen"),
        currency,
        None if in_currency is None else ore(in_currency, "amountCurrency"),
    )


async def add_postings(request: web.Request) -> web.Response:
    """POST /_sandbox/companies/{company}/postings: `{"date", "postings": [...]}` or one posting."""
    ledger, data = _ledger(request), await body(request)
    try:
        day = date.fromisoformat(str(data.get("date")))
    except ValueError:
        raise ControlError("date must be yyyy-MM-dd") from None
    if not ledger.holds(day.toordinal()):
        raise ControlError(f"date must lie in one of the company's years {list(ledger.data_years)}")
    items = data.get("postings", [data])
    if not isinstance(items, list) or not 1 <= len(items) <= 999:
        raise ControlError("postings must be a list of 1 to 999 postings")
    entry = ledger.add(day.toordinal(), [_spec(i, ledger.company.id) for i in items])
    record = {
        "kind": "add",
        "date": day.isoformat(),
        "voucher": entry.voucher.id,
        "postings": list(entry.voucher.posting_ids),
    }
    state_of(request).changed(ledger.company.id, {"source": "control", **record})
    return reply(record | {"number": entry.voucher.number}, 201)


async def change_posting(request: web.Request) -> web.Response:
    """PATCH /_sandbox/companies/{company}/postings/{posting}: amount, description, account."""
    ledger, data = _ledger(request), await body(request)
    number = data.get("accountNumber")
    if number is not None and number not in chart_for(ledger.company.id):
        raise ControlError("accountNumber is not in the chart of accounts")
    patch = Patch(
        None if data.get("amount") is None else ore(data["amount"], "amount"),
        None
        if data.get("amountCurrency") is None
        else ore(data["amountCurrency"], "amountCurrency"),
        None if data.get("description") is None else str(data["description"]),
        number,
    )
    changed = ledger.change(int(request.match_info["posting"]), patch)
    if changed is None:
        raise ControlError("No such posting.", 404)
    state_of(request).changed(
        ledger.company.id,
        {
            "source": "control",
            "kind": "change",
            "date": changed.date,
            "voucher": changed.voucher.id,
            "postings": [changed.id],
        },
    )
    return reply(
        {
            "id": changed.id,
            "version": changed.version,
            "date": changed.date,
            "accountNumber": changed.account.number,
            "amount": money(changed.amount),
            "description": changed.description,
        }
    )


async def delete_posting(request: web.Request) -> web.Response:
    """DELETE /_sandbox/companies/{company}/postings/{posting}."""
    ledger = _ledger(request)
    pid = int(request.match_info["posting"])
    if not ledger.delete(pid):
        raise ControlError("No such posting.", 404)
    state_of(request).changed(
        ledger.company.id,
        {"source": "control", "kind": "delete", "voucher": pid // 1000, "postings": [pid]},
    )
    return web.Response(status=204)


async def expire_sessions(request: web.Request) -> web.Response:
    """POST /_sandbox/sessions/expire: every session token stops working."""
    return reply({"expired": state_of(request).sessions.expire_all()})


async def issued_sessions(request: web.Request) -> web.Response:
    """GET /_sandbox/sessions: every session token created since start, live or expired."""
    return reply({"issued": state_of(request).sessions.issued})


async def revoke_token(request: web.Request) -> web.Response:
    """POST /_sandbox/tokens/{label}/revoke: the employee token stops working, as if revoked."""
    state = state_of(request)
    label = request.match_info["label"]
    try:
        token = state.scenario.token(label)
    except KeyError:
        raise ControlError(f"No employee token labelled {label!r}.", 404) from None
    return reply({"revoked": label, "sessions_expired": state.revoke(token.id)})


async def counters(request: web.Request) -> web.Response:
    """GET /_sandbox/counters; DELETE resets them."""
    state = state_of(request)
    if request.method == "DELETE":
        state.counters = Counters()
        state.limiter.history.clear()
        return web.Response(status=204)
    limiter = state.limiter
    usage_by_token = {
        str(key): usage(list(windows), limiter.limit, limiter.window)
        for key, windows in limiter.history.items()
    }
    return reply(
        state.counters.to_json()
        | {"cache": state.cache.stats(), "rate_limit_usage": usage_by_token}
    )


async def mutations(request: web.Request) -> web.Response:
    """GET /_sandbox/mutations: every change made so far (by faults or through this API)."""
    return reply(state_of(request).mutations)


@web.middleware
async def control_errors(request: web.Request, handler: Any) -> web.StreamResponse:
    """Turn ControlError into a JSON reply (only for /_sandbox paths)."""
    try:
        response: web.StreamResponse = await handler(request)
    except ControlError as error:
        return reply({"error": str(error)}, error.status)
    return response
