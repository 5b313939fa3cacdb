"""The front of the local regions: what Route 53's latency records with health checks do for a
multi-region stack, as one HTTP origin.

Every request goes to the nearest healthy region: the first of the configured order whose
health check passes. A region's ``/health`` is checked every ``interval_s``; after
``threshold`` failures in a row it leaves the answer, and after ``threshold`` passes in a row it
rejoins (Route 53's failure threshold counts both ways). When every region is unhealthy, Route
53 answers as if all were healthy: so does this. A request sent to a region whose origin does
not answer (stopped, and not yet noticed) gets a 502 here, where a client of the real stack
would get no connection.

Each answer names its region in ``X-Picus-Region``. ``POST /_local/regions/NAME/stop`` and
``.../start`` stop and restart a region; ``GET /_local/regions`` says which are up and healthy.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final

import aiohttp
from aiohttp import web

from picus.contract import HEALTH_PATH

REGION_HEADER: Final = "X-Picus-Region"
ADMIN_PATH: Final = "/_local/regions"
#: Not forwarded either way (RFC 9110, 7.6.1), or recomputed by the server.
_HOP: Final = frozenset(
    {"connection", "keep-alive", "transfer-encoding", "upgrade", "te", "trailer", "host"}
    | {"content-length", "proxy-connection"}
)


@dataclass
class HealthChecks:
    """Route 53's view of the regions: each one's status and its current streak of checks that
    disagree with it."""

    order: Sequence[str]
    threshold: int
    healthy: dict[str, bool] = field(default_factory=dict)
    _streak: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for region in self.order:
            self.healthy.setdefault(region, True)
            self._streak.setdefault(region, 0)

    def record(self, region: str, passed: bool) -> None:
        if passed == self.healthy[region]:
            self._streak[region] = 0
            return
        self._streak[region] += 1
        if self._streak[region] >= self.threshold:
            self.healthy[region], self._streak[region] = passed, 0

    def nearest(self) -> str:
        """The region a client is sent to: the first healthy one, or the first of all."""
        return next((r for r in self.order if self.healthy[r]), self.order[0])


class Admin:
    """What the front's admin paths do: stop and start a region."""

    def __init__(
        self, stop: Callable[[str], Awaitable[None]], start: Callable[[str], Awaitable[None]]
    ) -> None:
        self.stop, self.start = stop, start


def front(
    origins: Mapping[str, str],
    checks: HealthChecks,
    admin: Admin,
    up: Callable[[str], bool],
) -> web.Application:
    """The aiohttp app of the front over the regions' ``origins`` (region: base URL)."""
    session: aiohttp.ClientSession | None = None

    async def forward(request: web.Request) -> web.StreamResponse:
        assert session is not None
        region = checks.nearest()
        headers = {k: v for k, v in request.headers.items() if k.lower() not in _HOP}
        try:
            async with session.request(
                request.method,
                origins[region] + request.raw_path,
                headers=headers,
                data=await request.read(),
                allow_redirects=False,
            ) as answer:
                body = await answer.read()
                out = [(k, v) for k, v in answer.headers.items() if k.lower() not in _HOP]
        except (aiohttp.ClientError, TimeoutError):
            text = f"region {region}'s origin did not answer\n"
            return web.Response(status=502, text=text, headers={REGION_HEADER: region})
        response = web.Response(status=answer.status, body=body)
        for k, v in out:
            response.headers.add(k, v)
        response.headers[REGION_HEADER] = region
        return response

    async def regions(request: web.Request) -> web.Response:
        state = {r: {"up": up(r), "healthy": checks.healthy[r]} for r in checks.order}
        return web.json_response({"nearest": checks.nearest(), "regions": state})

    async def change(request: web.Request) -> web.Response:
        region, action = request.match_info["region"], request.match_info["action"]
        if region not in origins or action not in ("stop", "start"):
            return web.json_response(
                {"error": f"no region {region} or action {action}"}, status=404
            )
        await (admin.stop if action == "stop" else admin.start)(region)
        return await regions(request)

    async def client(app: web.Application) -> AsyncIterator[None]:
        nonlocal session
        timeout = aiohttp.ClientTimeout(total=60, connect=2)
        session = aiohttp.ClientSession(timeout=timeout, auto_decompress=False)
        yield
        await session.close()

    app = web.Application(client_max_size=32 * 1024 * 1024)
    app.cleanup_ctx.append(client)
    app.router.add_get(ADMIN_PATH, regions)
    app.router.add_post(ADMIN_PATH + "/{region}/{action}", change)
    app.router.add_route("*", "/{tail:.*}", forward)
    return app


async def check_health(origins: Mapping[str, str], checks: HealthChecks, interval_s: float) -> None:
    """Checks every region's ``/health`` each ``interval_s``, until cancelled: a pass is a 200
    within the interval (Route 53 waits at most 4 s for a connection and 2 s for an answer;
    locally the interval bounds both)."""
    timeout = aiohttp.ClientTimeout(total=min(interval_s, 4))
    async with aiohttp.ClientSession(timeout=timeout) as session:

        async def one(region: str) -> None:
            try:
                async with session.get(origins[region] + HEALTH_PATH) as answer:
                    passed = answer.status == 200
            except (aiohttp.ClientError, TimeoutError):
                passed = False
            checks.record(region, passed)

        while True:
            await asyncio.gather(*(one(r) for r in checks.order))
            await asyncio.sleep(interval_s)
