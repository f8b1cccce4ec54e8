"""Limits on the sign-in form itself, checked before anything is parsed or written."""

from __future__ import annotations

from starlette.requests import Request

# An email (254), a password (1,024) and a CSRF token, URL-encoded at worst three bytes a
# character, fit well within this; anything bigger is not a sign-in.
MAX_LOGIN_BODY = 8 * 1024
# Failures allowed from one client address before it waits, as a multiple of the per-account
# limit: an office behind one address has many people, each allowed a few typing mistakes.
ADDRESS_FACTOR = 4


async def body_within(request: Request, limit: int) -> bool:
    """Read the body, at most ``limit`` bytes; False (and nothing more read) past it.

    Starlette would read any size of urlencoded form into memory; this stops at the limit,
    whether the client gave a Content-Length or streamed the body in chunks.
    """
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > limit):
        return False
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            return False
    request._body = bytes(body)  # what Request.body() caches; form() then reads it from here
    return True
