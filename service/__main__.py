"""``python -m service``: the service under uvicorn with its production flags.

The container runs exactly this, so the flags live here once, derived from the settings.
"""

from __future__ import annotations

import signal
from types import FrameType

import uvicorn

from service.deadlines import header_deadline_protocol
from service.logs import configure_logging
from service.settings import Settings


def uvicorn_config(settings: Settings) -> uvicorn.Config:
    return uvicorn.Config(
        "service.app:create_app",
        factory=True,
        host=settings.host,
        port=settings.port,
        loop="uvloop",
        # httptools, with a deadline for a request's headers (service/deadlines.py).
        http=header_deadline_protocol(settings.header_timeout),
        lifespan="on",
        # Longer than the ALB's idle timeout: the ALB closes idle connections, not us.
        timeout_keep_alive=settings.keep_alive,
        timeout_graceful_shutdown=settings.graceful_shutdown,
        # Beyond it, uvicorn answers 503 at once rather than queue another request's memory.
        limit_concurrency=settings.limit_concurrency,
        proxy_headers=True,
        forwarded_allow_ips=settings.forwarded_allow_ips,
        server_header=False,
        access_log=False,
        log_config=None,
    )


def _drained(signum: int, frame: FrameType | None) -> None:
    # uvicorn re-raises the stop signal once in-flight requests are done: a clean exit.
    raise SystemExit(0)


def exit_cleanly_on_sigterm() -> None:
    """SIGTERM ends the process through SystemExit, so cleanup (finally blocks) runs."""
    signal.signal(signal.SIGTERM, _drained)


def main() -> None:
    settings = Settings.from_env()
    configure_logging(settings.log_level)
    exit_cleanly_on_sigterm()
    uvicorn.Server(uvicorn_config(settings)).run()


if __name__ == "__main__":
    main()
