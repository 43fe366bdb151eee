"""Query parameters of list endpoints: dates, paging, fields, sorting and filters (pure)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date
from typing import Any

from sandbox import errors
from sandbox.fields import FieldsError, Selection, parse
from sandbox.render import MODELS, Model, Raw, Ref, compile_selection

#: default and largest `count`
DEFAULT_COUNT = 1000
MAX_COUNT = 10_000
#: the largest result a query may have before it fails with 23000
RESULT_CAP = 10_000
#: accountNumberTo when only accountNumberFrom is given
NO_ACCOUNT_ABOVE = 1_000_000_000


def required_date(query: Mapping[str, str], name: str) -> date:
    """A required yyyy-MM-dd parameter."""
    text = query.get(name)
    if not text:
        raise errors.invalid(name, "Kan ikke være null.", code=15000)
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise errors.invalid(name, f"Ugyldig dato: {text!r} (yyyy-MM-dd).", code=15000) from None


def date_range(query: Mapping[str, str]) -> tuple[int, int]:
    """(first ordinal, stop ordinal) from dateFrom (inclusive) and dateTo (exclusive)."""
    first, stop = required_date(query, "dateFrom"), required_date(query, "dateTo")
    if first > stop:
        raise errors.invalid("dateTo", "dateTo must not be before dateFrom.", code=15000)
    return first.toordinal(), stop.toordinal()


def _integer(query: Mapping[str, str], name: str, default: int) -> int:
    text = query.get(name)
    if text is None or text == "":
        return default
    try:
        return int(text)
    except ValueError:
        raise errors.invalid(name, f"{name} must be a whole number.", code=15000) from None


def paging(query: Mapping[str, str]) -> tuple[int, int]:
    """(from, count): from >= 0, count defaults to 1000 and is clamped to 10,000."""
    start, count = _integer(query, "from", 0), _integer(query, "count", DEFAULT_COUNT)
    if start < 0:
        raise errors.invalid("from", "from must be 0 or more.", code=15000)
    if count < 0:
        raise errors.invalid("count", "count must be 0 or more.", code=15000)
    return start, min(count, MAX_COUNT)


def selection(query: Mapping[str, str], model: Model) -> tuple[Selection, ...]:
    """The parsed `fields` parameter, checked against the model (400 / 11000 when illegal)."""
    try:
        chosen = parse(query.get("fields"))
        compile_selection(model, chosen)
    except FieldsError as error:
        raise errors.bad_request(11000, str(error)) from None
    return chosen


def _sort_items(query: Mapping[str, str], model: Model) -> list[str]:
    """The `sorting` items; each must name a field of the model (else 422 / 17000)."""
    items = [i for i in query.get("sorting", "").replace(" ", "").split(",") if i]
    for item in items:
        if item.lstrip("-").split(".")[0] not in model.columns:
            raise errors.bad_sorting(f"Illegal sorting field: {item}")
    return items


def default_order(
    query: Mapping[str, str], model: Model, orders: tuple[tuple[str, ...], ...]
) -> None:
    """Accept `sorting` only when it asks for the default order: a prefix, ascending, of one of
    `orders`, which are all the same order (e.g. `id` is `date,voucher.number,row,id`)."""
    items = tuple(_sort_items(query, model))
    if items and not any(items == order[: len(items)] for order in orders):
        named = " or ".join(",".join(order) for order in orders)
        raise errors.bad_sorting(f"The sandbox serves {model.name} only sorted by {named}.")


def sort(query: Mapping[str, str], model: Model, objects: list[Any]) -> list[Any]:
    """Objects sorted by `sorting` (plain fields, or a plain field of a reference as
    `account.number`; `-` for descending)."""
    for item in reversed(_sort_items(query, model)):
        key = _sort_key(model, item.lstrip("-"))
        objects = sorted(objects, key=key, reverse=item.startswith("-"))
    return objects


def _sort_key(model: Model, path: str) -> Callable[[Any], Any]:
    """How to read the value a sorting item names; 422 / 17000 for what cannot be sorted."""
    name, _, sub = path.partition(".")
    column = model.columns[name]
    if isinstance(column, Raw) and not sub:
        return model.getter(column.name)
    if isinstance(column, Ref) and not column.many and sub and "." not in sub:
        target = MODELS[column.model]
        inner = target.columns.get(sub)
        if isinstance(inner, Raw):
            get, read = column.get, target.getter(inner.name)
            return lambda obj: _nulls_first(None if (ref := get(obj)) is None else read(ref))
    raise errors.bad_sorting(f"The sandbox cannot sort {model.name} by {path}.")


def _nulls_first(value: Any) -> tuple[bool, Any]:
    return value is not None, value


def account_numbers(query: Mapping[str, str], *, to_inclusive: bool) -> tuple[int, int] | None:
    """accountNumberFrom (inclusive) and accountNumberTo as a half-open [low, stop) range, or
    None when neither is given; `to_inclusive` makes accountNumberTo include its own number."""
    if not query.get("accountNumberFrom") and not query.get("accountNumberTo"):
        return None
    low = _integer(query, "accountNumberFrom", 0)
    high = _integer(query, "accountNumberTo", NO_ACCOUNT_ABOVE)
    return low, high + 1 if to_inclusive and query.get("accountNumberTo") else high


def unsupported(query: Mapping[str, str], names: tuple[str, ...]) -> None:
    """Refuse filters the real API has but the sandbox does not implement (never ignore them)."""
    used = [name for name in names if query.get(name)]
    if used:
        raise errors.invalid(
            used[0], f"The sandbox does not support the filter {used[0]!r}.", 15000
        )


def capped(total: int) -> None:
    """Refuse a query whose whole result exceeds the 10,000-object cap (exactly 10,000 passes)."""
    if total > RESULT_CAP:
        raise errors.too_large()
