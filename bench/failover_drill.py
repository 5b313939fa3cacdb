"""The failover drill on the local regions (local/multi_region.py): steady traffic through the
front, the first region stopped, traffic carrying on in the next, the first brought back, and
what the clients were told checked against what every region holds once they agree.

The traffic: each worker makes keyed puts (an ``Idempotency-Key``, which the payload carries,
sent again on any failure until acknowledged), reads each item back, and replaces it with
``If-Match`` the ETag it read. Every acknowledged write is remembered with its time."""

from __future__ import annotations

import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import httpx

from local.health_front import REGION_HEADER
from local.multi_region import MultiRegion
from picus.contract import (
    ETAG_HEADER,
    IDEMPOTENCY_KEY_HEADER,
    IF_MATCH_HEADER,
    LIST_MAX_LIMIT,
    LIST_PATH,
    PUT_PATH,
    item_url,
)

#: How long a client waits for one answer.
REQUEST_TIMEOUT_S = 10.0
#: A failed send is sent again after this.
RETRY_PAUSE_S = 0.05


@dataclass(frozen=True)
class Attempt:
    sent: float
    done: float
    region: str
    ok: bool


@dataclass(frozen=True)
class Ack:
    """An acknowledged write: the item, the payload it now holds, when the answer came."""

    object_id: str
    idem: str
    payload: dict[str, Any]
    acked: float
    region: str
    #: When the first attempt of the write was sent, and when it failed (None: it did not).
    first_sent: float
    first_failed: float | None


@dataclass
class Traffic:
    attempts: list[Attempt] = field(default_factory=list)
    acks: list[Ack] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    stop: threading.Event = field(default_factory=threading.Event)
    #: Replaces sent, answered or not, by item: one that got no answer may have been applied,
    #: and then its payload is no loss of the put's.
    replaces: dict[str, dict[str, Any]] = field(default_factory=dict)

    def holds(self, ack: Ack, payload: dict[str, Any] | None) -> bool:
        """Whether an item found with ``payload`` keeps the acknowledged write ``ack``."""
        return payload == ack.payload or (
            payload is not None and payload == self.replaces.get(ack.object_id)
        )

    def send(self, client: httpx.Client, method: str, url: str, **kw: Any) -> httpx.Response | None:
        sent = time.monotonic()
        try:
            answer: httpx.Response | None = client.request(method, url, **kw)
        except httpx.HTTPError:
            answer = None
        region = answer.headers.get(REGION_HEADER, "") if answer is not None else ""
        ok = answer is not None and answer.status_code < 500 and answer.status_code != 409
        with self.lock:
            self.attempts.append(Attempt(sent, time.monotonic(), region, ok))
        return answer if ok else None

    def worker(self, front: str) -> None:
        with httpx.Client(base_url=front, timeout=REQUEST_TIMEOUT_S) as client:
            n = 0
            while not self.stop.is_set():
                n += 1
                idem = uuid.uuid4().hex
                payload: dict[str, Any] = {"idem": idem, "n": n}
                first_sent, first_failed = time.monotonic(), None
                while (
                    answer := self.send(
                        client,
                        "POST",
                        PUT_PATH,
                        json=payload,
                        headers={IDEMPOTENCY_KEY_HEADER: idem},
                    )
                ) is None:
                    first_failed = first_failed or time.monotonic()
                    if self.stop.is_set():
                        return  # the drill is over: this write was never acknowledged
                    time.sleep(RETRY_PAUSE_S)
                object_id = answer.json()["object_id"]
                self._ack(object_id, idem, payload, answer, first_sent, first_failed)
                read = self.send(client, "GET", item_url(object_id))
                if read is None or read.status_code != 200:
                    continue
                replaced = {**payload, "replaced": True}
                with self.lock:
                    self.replaces[object_id] = replaced
                sent = time.monotonic()
                done = self.send(
                    client,
                    "PUT",
                    item_url(object_id),
                    json=replaced,
                    headers={IF_MATCH_HEADER: read.headers[ETAG_HEADER]},
                )
                if done is not None and done.status_code == 200:
                    self._ack(object_id, idem, replaced, done, sent, None)

    def _ack(
        self,
        object_id: str,
        idem: str,
        payload: dict[str, Any],
        answer: httpx.Response,
        first_sent: float,
        first_failed: float | None,
    ) -> None:
        ack = Ack(
            object_id,
            idem,
            payload,
            time.monotonic(),
            answer.headers[REGION_HEADER],
            first_sent,
            first_failed,
        )
        with self.lock:
            self.acks.append(ack)


def items_of(origin: str) -> dict[str, dict[str, Any]]:
    """Every item a region's origin lists, by object id: its payload."""
    found: dict[str, dict[str, Any]] = {}
    cursor: str | None = None
    with httpx.Client(timeout=REQUEST_TIMEOUT_S) as client:
        while True:
            params: dict[str, Any] = {"limit": LIST_MAX_LIMIT}
            if cursor is not None:
                params["cursor"] = cursor
            page = client.get(origin + LIST_PATH, params=params).raise_for_status().json()
            found.update((item["object_id"], item["payload"]) for item in page["items"])
            cursor = page["next_cursor"]
            if cursor is None:
                return found


@dataclass(frozen=True)
class DrillReport:
    stopped_at: float
    #: From the stop until the front's health checks send every request to the next region,
    #: as Route 53's records would.
    failover_s: float
    #: Requests that failed once the checks had switched: none where failover is clean.
    failed_after_switch: int
    failed_requests: int
    requests: int
    acked_writes: int
    #: Acknowledged writes the next region did not hold during the outage.
    missing_in_outage: list[Ack]
    #: Acknowledged writes whose payload no region holds once they agree (overwritten or gone).
    lost: list[Ack]
    #: Idempotency keys stored as more than one item.
    doubled: list[str]
    convergence_s: float
    converged: bool
    acks: list[Ack]


def drill(
    stack: MultiRegion,
    workers: int = 3,
    steady_s: float = 2.0,
    after_s: float = 1.5,
    converge_timeout_s: float = 30.0,
) -> DrillReport:
    """Runs the drill on a started stack: its first region is stopped and brought back."""
    first, second = stack.config.regions[0], stack.config.regions[1]
    traffic = Traffic()
    threads = [
        threading.Thread(target=traffic.worker, args=(stack.front_url,), daemon=True)
        for _ in range(workers)
    ]
    for thread in threads:
        thread.start()
    try:
        time.sleep(steady_s)
        stopped_at = time.monotonic()
        stack.stop_region(first)
        deadline = stopped_at + 4 * stack.config.interval_s * stack.config.threshold + 30
        while stack.checks.nearest() == first and time.monotonic() < deadline:
            time.sleep(0.05)
        switched_at = time.monotonic()
        time.sleep(after_s)
    finally:
        traffic.stop.set()
        for thread in threads:
            thread.join(REQUEST_TIMEOUT_S * 3)
    if any(thread.is_alive() for thread in threads):
        # A worker still waiting past its timeouts: the front or a region hangs.
        raise RuntimeError("the drill's traffic did not stop: a request hangs")
    held = items_of(stack.origin_urls[second])
    latest: dict[str, Ack] = {}
    for ack in sorted(traffic.acks, key=lambda a: a.acked):
        latest[ack.object_id] = ack
    missing = [a for a in latest.values() if not traffic.holds(a, held.get(a.object_id))]
    stack.start_region(first)
    back = time.monotonic()
    converged = False
    while time.monotonic() < back + converge_timeout_s:
        if stack.pending() == 0:
            everywhere = [items_of(url) for url in stack.origin_urls.values()]
            if all(items == everywhere[0] for items in everywhere):
                converged = True
                break
        time.sleep(0.05)
    convergence_s = time.monotonic() - back
    final = items_of(stack.origin_urls[first])
    lost = [a for a in latest.values() if not traffic.holds(a, final.get(a.object_id))]
    per_key = Counter(payload["idem"] for payload in final.values())
    return DrillReport(
        stopped_at=stopped_at,
        failover_s=switched_at - stopped_at,
        failed_after_switch=sum(not a.ok for a in traffic.attempts if a.sent >= switched_at),
        failed_requests=sum(not a.ok for a in traffic.attempts),
        requests=len(traffic.attempts),
        acked_writes=len(traffic.acks),
        missing_in_outage=missing,
        lost=lost,
        doubled=sorted(k for k, count in per_key.items() if count > 1),
        convergence_s=convergence_s,
        converged=converged,
        acks=traffic.acks,
    )
