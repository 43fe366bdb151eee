"""A bounded LRU of rendered list pages, keyed by company, data generation and query."""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Page:
    """A rendered page of a list endpoint: `values` is the JSON array of its objects."""

    values: bytes
    count: int
    total: int
    extra: tuple[tuple[str, Any], ...] = ()


class PageCache:
    """Least-recently-used pages up to a byte budget; keys start with the company id."""

    def __init__(self, max_bytes: int = 128 * 1024 * 1024) -> None:
        self.max_bytes = max_bytes
        self.hits = 0
        self.misses = 0
        self._pages: OrderedDict[tuple[Any, ...], Page] = OrderedDict()
        self._bytes = 0

    def get(self, key: tuple[Any, ...]) -> Page | None:
        """A cached page, marked as recently used."""
        page = self._pages.get(key)
        if page is None:
            self.misses += 1
            return None
        self.hits += 1
        self._pages.move_to_end(key)
        return page

    def put(self, key: tuple[Any, ...], page: Page) -> None:
        """Remember a page, evicting the least recently used ones beyond the budget."""
        if len(page.values) > self.max_bytes // 4:
            return
        old = self._pages.pop(key, None)
        if old is not None:
            self._bytes -= len(old.values)
        self._pages[key] = page
        self._bytes += len(page.values)
        while self._bytes > self.max_bytes:
            _, evicted = self._pages.popitem(last=False)
            self._bytes -= len(evicted.values)

    def drop(self, company_id: int) -> None:
        """Forget every page of a company (after its data changed)."""
        for key in [k for k in self._pages if k[0] == company_id]:
            self._bytes -= len(self._pages.pop(key).values)

    def stats(self) -> dict[str, int]:
        """Hits, misses, pages and bytes held."""
        return {
            "hits": self.hits,
            "misses": self.misses,
            "pages": len(self._pages),
            "bytes": self._bytes,
        }
