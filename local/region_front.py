"""One local region's DynamoDB endpoint: the region's origin points its service and its function
at it (``AWS_ENDPOINT_URL_DYNAMODB``). It forwards each call to the region's tables in the shared
moto server, and hands writes to the replicator, which makes them there and replicates them.

While its region is stopped it answers every call with a 503: an isolated region's table is
reached by nobody, and its changes reach nobody either (the replicator holds them)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web

from local.dynamodb_wire import CONTENT_TYPE, TARGET_HEADER, WRITES, DynamoError

if TYPE_CHECKING:
    from local.replication import Replicator

#: An isolated region's answer (DynamoDB's own "not now" error, which botocore retries).
UNAVAILABLE = DynamoError(503, "ServiceUnavailableException", "this local region is stopped")


def region_endpoint(region: str, replicator: Replicator) -> web.Application:
    """The aiohttp app that serves ``region``'s DynamoDB endpoint."""

    async def handle(request: web.Request) -> web.Response:
        operation = request.headers.get(TARGET_HEADER, "").rsplit(".", 1)[-1]
        body = await request.read()
        try:
            if region not in replicator.up:
                raise UNAVAILABLE
            if (refused := replicator.refuse(operation)) is not None:
                raise refused
            if operation in WRITES:
                status, answer = await replicator.write(region, operation, body)
            else:
                status, answer = await replicator.forward(region, operation, body)
        except DynamoError as error:
            status, answer = error.status, error.body()
        return web.Response(status=status, body=answer, content_type=CONTENT_TYPE)

    app = web.Application(client_max_size=32 * 1024 * 1024)
    app.router.add_post("/", handle)
    return app
