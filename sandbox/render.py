"""Rendering objects under a `fields` selection: models, columns, refs and exact money."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import count
from operator import attrgetter
from typing import Any

import orjson

from sandbox.fields import FieldsError, Selection

#: JSON-ready data: what a compiled selection returns for one object
Data = dict[str, Any]
#: ".05", ".5", ".0": the decimals of an amount by its øre
_CENTS = tuple(f".{r:02d}" if r % 10 else f".{r // 10}" for r in range(100))


def money(ore: int) -> str:
    """An amount in øre as a JSON number with at most two decimals (1500.0, -12.5, 3.05)."""
    if ore < 0:
        kroner, rest = divmod(-ore, 100)
        return f"-{kroner}{_CENTS[rest]}"
    kroner, rest = divmod(ore, 100)
    return f"{kroner}{_CENTS[rest]}"


#: the last amount written and its fragment, shared by every amount column: a posting's amount,
#: amountCurrency and gross amounts are usually equal and are written one after the other
_LAST: list[tuple[int, orjson.Fragment]] = [(0, orjson.Fragment("0.0"))]


def amount_column(get: Callable[[Any], int]) -> Callable[[Any, Any], orjson.Fragment]:
    """A column function writing the amount `get` reads, as a JSON number (never a float)."""
    fragment, last = orjson.Fragment, _LAST

    def column(obj: Any, ctx: Any) -> orjson.Fragment:
        ore = get(obj)
        seen = last[0]
        if seen[0] != ore:
            seen = last[0] = (ore, fragment(money(ore)))
        return seen[1]

    return column


@dataclass(slots=True)
class Context:
    """Per-response rendering state: the url prefix (`host/v2`), a memo and postings to embed."""

    base: str
    memo: dict[tuple[int, Any], Any] = field(default_factory=dict)
    postings: dict[int, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Raw:
    """A field read straight from the object (attribute or dict key) as a JSON-ready value."""

    name: str


@dataclass(frozen=True, slots=True)
class Const:
    """A field with the same value for every object."""

    value: Any


@dataclass(frozen=True, slots=True)
class Computed:
    """A field computed from the object and the context."""

    fn: Callable[[Any, Context], Any]


@dataclass(frozen=True, slots=True)
class Ref:
    """A reference: `get` returns the target (or None); `many` ones return a list of ids."""

    model: str
    get: Callable[[Any], Any]
    many: bool = False
    key: Callable[[Any], Any] = attrgetter("id")


Column = Raw | Const | Computed | Ref
#: a compiled selection: object and context to JSON-ready data
Renderer = Callable[[Any, Context], Data]


@dataclass(frozen=True, slots=True)
class Model:
    """A DTO: its columns by name; `hidden` fields appear only when asked for by name."""

    name: str
    path: str
    columns: dict[str, Column]
    hidden: frozenset[str] = frozenset()
    getter: Callable[..., Callable[[Any], Any]] = attrgetter


#: every model by name (filled by sandbox.schemas)
MODELS: dict[str, Model] = {}
#: distinct memo keys for compiled reference columns
_TOKENS = count()


def register(model: Model) -> Model:
    """Add a model to the registry and return it."""
    MODELS[model.name] = model
    return model


def ref(model: Model, target_id: Any, ctx: Context) -> Data:
    """An unexpanded reference: `{"id": 1, "url": "host/v2/path/1"}` (url without scheme)."""
    return {"id": target_id, "url": f"{ctx.base}/{model.path}/{target_id}"}


def compile_selection(model: Model, selection: tuple[Selection, ...]) -> Renderer:
    """A function rendering one object of `model` under the selection (cached)."""
    return _compile(model.name, selection)


def _choose(model: Model, selection: tuple[Selection, ...]) -> dict[str, tuple[Column, Any]]:
    chosen: dict[str, tuple[Column, Any]] = {}
    for item in selection:
        if item.name == "*":
            for name, column in model.columns.items():
                if name not in model.hidden and name not in chosen:
                    chosen[name] = (column, None)
            continue
        found = model.columns.get(item.name)
        if found is None:
            raise FieldsError(
                f"Illegal field in fields filter: {item.name}. {item.name} does not match a "
                f"field in the model: {model.name}"
            )
        if item.sub is not None and not isinstance(found, Ref):
            raise FieldsError(f"Illegal field in fields filter: {item.name}(...) has no fields")
        chosen[item.name] = (found, item.sub)
    return chosen


@lru_cache(maxsize=1024)
def _compile(model_name: str, selection: tuple[Selection, ...]) -> Renderer:
    model = MODELS[model_name]
    chosen = _choose(model, selection)
    template: Data = {
        name: (c.value if isinstance(c, Const) else None) for name, (c, _) in chosen.items()
    }
    raw = [(name, c.name) for name, (c, _) in chosen.items() if isinstance(c, Raw)]
    computed: list[tuple[str, Callable[[Any, Context], Any]]] = []
    for name, (column, sub) in chosen.items():
        if isinstance(column, Computed):
            computed.append((name, column.fn))
        elif isinstance(column, Ref):
            computed.append((name, _reference(column, sub)))
    keys = tuple(name for name, _ in raw)
    fetch = model.getter(*(source for _, source in raw)) if raw else None
    single = len(raw) == 1

    def render(obj: Any, ctx: Context) -> Data:
        data = template.copy()
        if fetch is not None:
            data.update(zip(keys, (fetch(obj),) if single else fetch(obj), strict=True))
        for name, fn in computed:
            data[name] = fn(obj, ctx)
        return data

    return render


def _reference(column: Ref, sub: tuple[Selection, ...] | None) -> Callable[[Any, Context], Any]:
    target = MODELS[column.model]
    inner = None if sub is None else _compile(target.name, sub)
    get, ident, token = column.get, column.key, next(_TOKENS)
    if column.many:
        return lambda obj, ctx: [_embed(target, inner, pid, ctx) for pid in get(obj)]

    def one(obj: Any, ctx: Context) -> Any:
        value = get(obj)
        if value is None:
            return None
        key = (token, ident(value))
        found = ctx.memo.get(key)
        if found is None:
            found = ctx.memo[key] = inner(value, ctx) if inner else ref(target, key[1], ctx)
        return found

    return one


def _embed(target: Model, inner: Renderer | None, target_id: int, ctx: Context) -> Data:
    found = ctx.postings.get(target_id) if inner else None
    return inner(found, ctx) if inner and found is not None else ref(target, target_id, ctx)


def render_many(renderer: Renderer, objects: Sequence[Any], ctx: Context) -> bytes:
    """A JSON array of rendered objects."""
    return orjson.dumps([renderer(obj, ctx) for obj in objects])


def render_one(renderer: Renderer, obj: Any, ctx: Context) -> bytes:
    """One rendered object as JSON."""
    return orjson.dumps(renderer(obj, ctx))
