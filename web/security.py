"""Security headers on every response: one ASGI middleware, so no route can forget them.

The pages need no script at all and load styles only from ``/static``, so the
Content-Security-Policy allows neither inline script nor inline style; images may come from
other servers (remote events' banners) over https (and http in development mode, where peers
run on plain http). Framing is refused twice (``frame-ancestors`` and ``X-Frame-Options`` for
older browsers), MIME sniffing is off, and other sites get no Referer from ours.
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["SecurityHeaders", "content_security_policy"]


LOCATE_SCRIPT = "/static/locate.js"  # the one script: 用我的位置 beside the "near" fields


def content_security_policy(*, dev: bool, base: str = "") -> str:
    """``base``: the site's URL; scripts may come only from ``base`` + LOCATE_SCRIPT (none
    without it)."""
    images = "'self' https: http:" if dev else "'self' https:"
    scripts = f"{base.rstrip('/')}{LOCATE_SCRIPT}" if base else "'none'"
    # Forms post to this site only, but the remote-interaction form (web.conversations) ends
    # in a redirect to the visitor's own server, which browsers check against form-action too.
    forms = "'self' https: http:" if dev else "'self' https:"
    return (
        f"default-src 'none'; script-src {scripts}; style-src 'self'; "
        f"img-src {images}; form-action {forms}; base-uri 'none'; frame-ancestors 'none'"
    )


class SecurityHeaders:
    def __init__(self, app: ASGIApp, *, dev: bool = False, base: str = "") -> None:
        self.app = app
        self.headers = {
            "Content-Security-Policy": content_security_policy(dev=dev, base=base),
            "X-Content-Type-Options": "nosniff",
            "X-Frame-Options": "DENY",
            "Referrer-Policy": "same-origin",
        }

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in self.headers.items():
                    headers[name] = value
            await send(message)

        await self.app(scope, receive, send_with_headers)
