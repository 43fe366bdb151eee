"""Response envelopes: `{"value": ...}`, the list envelope (versionDigest, 304), ApiError bodies."""

from __future__ import annotations

import hashlib

from aiohttp import web

from sandbox.errors import ApiError
from sandbox.latency import OBJECTS
from sandbox.pagecache import Page
from sandbox.state import STATE

#: content type of every JSON response
JSON = "application/json; charset=utf-8"
#: versionDigest when the client sent no If-None-Match
NO_DIGEST = "'If-None-Match' header not specified"


def json_response(body: bytes, status: int = 200) -> web.Response:
    """A JSON response from ready bytes."""
    return web.Response(body=body, status=status, headers={"Content-Type": JSON})


def single(value: bytes, status: int = 200) -> web.Response:
    """`{"value": ...}` around one rendered object."""
    return json_response(b'{"value":' + value + b"}", status)


def digest(page: Page) -> str:
    """The checksum of a page: changes whenever its values or the result size change."""
    return hashlib.sha256(b"%d:" % page.total + page.values).hexdigest()[:40]


def full_result_size(mode: str, total: int, start: int, count: int) -> int:
    """`fullResultSize` of a page in a mode of `Faults.full_result_size`.

    "lookahead" is the real API since 2026-03: from + count + 1 while results remain after this
    page, else from + count; "exact" is the true total, "inexact" a deliberately too small one.
    """
    if mode == "exact":
        return total
    if mode == "inexact":
        return total * 2 // 3
    return start + count + (1 if start + count < total else 0)


def listing(request: web.Request, page: Page, start: int) -> web.StreamResponse:
    """The list envelope; 304 when If-None-Match equals the page's digest (unless the path is
    one of `Faults.checksum_unsupported`)."""
    request[OBJECTS] = page.count  # what latency mode paces the answer by
    faults = request.app[STATE].faults
    asked = request.headers.get("If-None-Match", "").strip().strip('"')
    if request.path.removeprefix("/v2") in faults.checksum_unsupported:
        asked = ""  # an endpoint without checksums ignores the header
    version = NO_DIGEST
    if asked:
        version = digest(page)
        if asked == version:
            return web.Response(status=304)
    mode = faults.full_result_size
    total = full_result_size(mode, page.total, start, page.count)
    head = b'{"fullResultSize":%d,"from":%d,"count":%d,"versionDigest":"%s",' % (
        total,
        start,
        page.count,
        version.encode(),
    )
    extra = b"".join(b'"%s":%d,' % (key.encode(), value) for key, value in page.extra)
    return json_response(head + extra + b'"values":' + page.values + b"}")


def error_response(error: ApiError, request_id: str) -> web.Response:
    """An ApiError as a response."""
    return json_response(error.body(request_id), error.status)


def proxy_error(status: int) -> web.Response:
    """What a proxy in front of Tripletex answers: HTML, no x-tlx-request-id."""
    title = {502: "502 Bad Gateway", 503: "503 Service Temporarily Unavailable"}.get(
        status, str(status)
    )
    html = (
        f"<html>\r\n<head><title>{title}</title></head>\r\n<body>\r\n"
        f"<center><h1>{title}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
    )
    return web.Response(text=html, status=status, content_type="text/html")
