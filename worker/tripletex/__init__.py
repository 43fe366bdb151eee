"""Tripletex API v2: the pure protocol, the aiohttp client, the shared rate limiter, and access.

`protocol` builds requests and reads answers without I/O (paths, params, envelopes, parsing);
`errors` maps an answer to the error it means; `client` is the thin aiohttp layer over both;
`ratelimit` paces every worker process per token through Redis; `access` keeps an organization's
session fresh and rides out transient faults.
"""
