"""Every endpoint, bad requests included: 403 without a token, a clear 4xx for bad input, never a 500.

The routes come from ``plumbline.server.routes.ROUTES``, so an endpoint added
later is audited without anyone remembering to.
"""

from __future__ import annotations

import json
import re

import pytest
from tornado.web import RequestHandler

from plumbline.server.routes import ROUTES



def json_headers(kind: str = "application/json") -> dict:
    return {"Content-Type": kind}  # a new dict each time: jp_fetch adds its token to it

METHODS = ("GET", "PUT", "POST", "PATCH", "DELETE")
#: A value for each path parameter a route pattern names (unknown ids: the handler says 404).
PATH_VALUES = {"run_id": "0b8f4a2e-0000-4f0e-9a51-2f1a0f4f9d11", "name": "no_such_pipeline",
               "run": "0b8f4a2e-0000-4f0e-9a51-2f1a0f4f9d11", "monitor": "no_such_monitor", "task": "no_such_task",
               "request_id": "0" * 32}

BAD_QUERIES = [
    {"since": str(2**63)}, {"since": str(2**64)}, {"since": "-1"}, {"since": "1e3"}, {"since": "x" * 5000},
    {"limit": "0"}, {"limit": str(10**30)}, {"start": "not-a-date"}, {"end": "2026-13-45"}, {"count": "-5"},
    {"cells": "9-3"}, {"timezone": "Mars/Olympus"}, {"cron": "61 * * * *"}, {"unknown": "\x00"},
]
BAD_BODIES = [
    b"\xff\xfe not utf-8", b"not json", b"[]", b"null", b'"text"', b"3", b"{}", b'{"text": 3}',
    b'{"io_id": [], "flagged": "yes"}', json.dumps({"a": [[[[[[[[[[1]]]]]]]]]]}).encode(),
    b'{"name": "../../etc/passwd"}', b'{"name": "x", "schedule": {"cron": "bad", "timezone": "Nowhere"}}',
    b'{"x": 1e999}', b"{" + b'"k": 1,' * 10 + b'"k": 1}',
]


def url_of(pattern: str) -> str:
    def fill(match: re.Match) -> str:
        name = match.group(1)
        assert name in PATH_VALUES, f"add a value for the path parameter {name!r} to PATH_VALUES"
        return PATH_VALUES[name]

    path = re.sub(r"\(\?P<(\w+)>[^)]*\)", fill, pattern)
    assert re.fullmatch(pattern, path), (pattern, path)
    return path


def implemented(handler) -> list[str]:
    return [m for m in METHODS if getattr(handler, m.lower()) is not getattr(RequestHandler, m.lower())]


CASES = [(pattern, handler, method) for pattern, handler in ROUTES for method in implemented(handler)]


def test_every_route_implements_a_method():
    assert all(implemented(handler) for _, handler in ROUTES)


@pytest.mark.parametrize("pattern,handler,method", CASES, ids=[f"{m} {p}" for p, _, m in CASES])
async def test_without_a_token_every_method_of_every_route_is_refused(pattern, handler, method,
                                                                     http_server_client, jp_base_url):
    body = b"{}" if method in ("PUT", "POST", "PATCH") else None
    response = await http_server_client.fetch(f"{jp_base_url}plumbline/{url_of(pattern)}", method=method,
                                              body=body, headers=json_headers(), raise_error=False,
                                              allow_nonstandard_methods=True)
    assert response.code == 403


@pytest.mark.parametrize("pattern,handler,method", CASES, ids=[f"{m} {p}" for p, _, m in CASES])
async def test_bad_requests_get_a_clear_4xx_never_a_500(pattern, handler, method, jp_fetch):
    path = url_of(pattern).split("/")
    answers = []

    async def send(**kwargs):
        try:
            response = await jp_fetch("plumbline", *path, method=method, raise_error=False,
                                      allow_nonstandard_methods=True, **kwargs)
        except Exception as exc:  # noqa: BLE001 - a dropped connection is as bad as a 500
            pytest.fail(f"{method} {pattern} {kwargs}: {type(exc).__name__}: {exc}")
        answers.append((kwargs, response.code, response.body[:300]))
        return response

    for params in BAD_QUERIES:
        await send(params=params, **({"body": b"{}", "headers": json_headers()} if method in ("PUT", "POST", "PATCH") else {}))
    if method in ("PUT", "POST", "PATCH"):
        for body in BAD_BODIES:
            await send(body=body, headers=json_headers())
        wrong_type = await send(body=b"{}", headers=json_headers("text/plain"))
        assert wrong_type.code == 415, wrong_type.body
        no_type = await send(body=b"{}", headers=json_headers(""))
        assert no_type.code == 415, no_type.body
        not_utf8 = await send(body=b'{"text": "\xff"}', headers=json_headers())
        assert not_utf8.code == 400 and b"UTF-8" in not_utf8.body, not_utf8.body
    errors = [a for a in answers if a[1] >= 500]
    assert not errors, errors
    for _, code, body in answers:
        if code >= 400:  # every refusal says why, as JSON
            assert json.loads(body or b"{}").get("message"), body
