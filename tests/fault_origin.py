"""The local origin whose service and function both reach DynamoDB through a fault proxy,
each with its production timeouts and retries."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import TYPE_CHECKING

from devkit.asgi import serving

if TYPE_CHECKING:
    from devkit.fault_proxy import FaultProxy
    from service.settings import Settings


@contextmanager
def fault_origin(settings: Settings, proxy: FaultProxy) -> Iterator[str]:
    from delete_fn.handler import handle, make_client
    from local.router import LocalAlb
    from service.app import create_app
    from service.settings import Settings as Production

    client = make_client(proxy.endpoint)
    production = Production()
    app = LocalAlb(
        create_app(
            replace(
                settings,
                endpoint_url=proxy.endpoint,
                store_deadline=production.store_deadline,
                read_timeout=production.read_timeout,
            )
        ),
        lambda event, context: handle(event, context, client),
    )
    with serving(app) as url:
        yield url
