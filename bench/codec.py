"""The put body's conversion and encoding on the largest bodies the API accepts: the CPU they
take, and how long they hold the event loop, on the loop or in a worker thread as the service
runs them (``service.codec.OFF_LOOP_BYTES``); beside them, the CPU botocore's serializer would
take for the same item, which the service's own encoding replaces (``service/wire.py``).

    python -m bench.codec            # a few minutes; writes bench/results/codec.json and the table
    python -m bench.codec --report   # the table, from the committed figures

Each shape is filled up to what the API accepts (a body of at most ``MAX_BODY_BYTES`` whose
item fits DynamoDB's 400 KB). CPU is the process's own (``time.process_time``), the median of
the repetitions. Figures are ratios first: to the stdlib's ``json.loads`` of the same body (the
floor any exact parse stands on) and to the calibration, a fixed pure-Python workload measured
in the same run, which says whether two runs' absolute figures can stand side by side
(``bench.machine.calibration_flags``).
"""

from __future__ import annotations

import asyncio
import json
import statistics
import time
from collections.abc import Callable
from typing import Any

import botocore.session
from anyio import to_thread
from botocore.serialize import create_serializer

from bench.machine import machine_state, record_run
from bench.result_files import CODEC_FILE
from picus.contract import MAX_BODY_BYTES, PARTITION_KEY, PAYLOAD, TABLE_NAME
from picus.errors import ApiError
from service.codec import OFF_LOOP_BYTES, parse_object, payload_of, to_payload
from service.wire import converted, encode

START, END = "<!-- codec:start -->", "<!-- codec:end -->"
REPETITIONS = 7

#: Each shape's element, the ``i``-th of a list that fills the body: what a client sends most
#: of (short numbers, numbers in other spellings, strings) and the most containers per byte.
SHAPES: dict[str, Callable[[int], str]] = {
    "numbers (12.5, 3.75, ...)": lambda i: f"{i % 997}.{i % 9 + 1}",
    "numbers in other spellings (1.50, 2E+1, -0.0, ...)": lambda i: (
        f"{i % 997}.{i % 9 + 1}0",
        f"{i % 9 + 1}E+{i % 20}",
        "-0.0",
        f"{i % 997}e-3",
    )[i % 4],
    "integers (6 digits)": lambda i: str(100_000 + i * 7919 % 900_000),
    "short strings": lambda i: json.dumps(f"item-{i:06d}"),
    'nesting ({"a": {"b": [1, "x", null]}}, ...)': lambda i: f'{{"a":{{"b":[{i % 10},"x",null]}}}}',
}


def body_of(element: Callable[[int], str], count: int) -> bytes:
    return ('{"items":[' + ",".join(element(i) for i in range(count)) + "]}").encode()


def accepted(body: bytes) -> bool:
    if len(body) > MAX_BODY_BYTES:
        return False
    try:
        payload_of(body)
    except ApiError:
        return False
    return True


def largest_body(element: Callable[[int], str]) -> tuple[bytes, int]:
    """The body of the most elements the API accepts, and how many."""
    low, high = 1, MAX_BODY_BYTES
    while low < high:
        middle = (low + high + 1) // 2
        if accepted(body_of(element, middle)):
            low = middle
        else:
            high = middle - 1
    return body_of(element, low), low


def cpu_ms(work: Callable[[], object], repetitions: int = REPETITIONS) -> float:
    """The median CPU of ``work``, in milliseconds."""
    times = []
    for _ in range(repetitions):
        started = time.process_time()
        work()
        times.append(time.process_time() - started)
    return 1000 * statistics.median(times)


async def _loop_held_ms(body: bytes, off_loop: bool | None) -> float:
    """The longest the event loop went without running a ticker that asks for every ms, while
    the body is converted (``None``: nothing is, for 200 ms: the machine's own noise)."""
    gaps: list[float] = []
    done = asyncio.Event()

    async def ticker() -> None:
        last = time.perf_counter()
        while not done.is_set():
            await asyncio.sleep(0.001)
            now = time.perf_counter()
            gaps.append(now - last)
            last = now

    task = asyncio.create_task(ticker())
    await asyncio.sleep(0.02)
    gaps.clear()
    if off_loop is None:
        await asyncio.sleep(0.2)
    elif off_loop:
        await to_thread.run_sync(converted, body, True)
    else:
        converted(body, True)
    done.set()
    await task
    return 1000 * max(gaps)


def loop_held_ms(body: bytes, off_loop: bool | None) -> float:
    return statistics.median(asyncio.run(_loop_held_ms(body, off_loop)) for _ in range(REPETITIONS))


def calibration_ms() -> float:
    """A fixed pure-Python workload's CPU: the interpreter's speed on this machine, now."""
    document = {"k": [{"a": i, "b": str(i), "c": [i, None, True]} for i in range(2000)]}

    def work() -> None:
        for _ in range(5):
            json.loads(json.dumps(document))
            sorted(str(i) for i in range(20_000))

    return cpu_ms(work)


def botocore_serializer() -> Callable[[dict[str, Any]], object]:
    """Stock botocore's serialization of a PutItem (validation off, as the service's client)."""
    service_model = botocore.session.get_session().get_service_model("dynamodb")
    put_item = service_model.operation_model("PutItem")
    serializer = create_serializer("json", include_validation=False)
    return lambda params: serializer.serialize_to_request(params, put_item)


def measure_shape(body: bytes, count: int) -> dict[str, Any]:
    text = body.decode()
    payload = payload_of(body)
    item = {"TableName": TABLE_NAME, "Item": {PARTITION_KEY: {"S": "k"}, PAYLOAD: payload}}
    serialize = botocore_serializer()
    return {
        # Taken beside the shape's own figures: the machine's speed drifts within a run.
        "calibration_ms": calibration_ms(),
        "body_bytes": len(body),
        "elements": count,
        "json_loads_ms": cpu_ms(lambda: json.loads(text)),
        "convert_ms": cpu_ms(lambda: payload_of(body)),
        "general_ms": cpu_ms(lambda: to_payload(parse_object(body))),
        "encode_ms": cpu_ms(lambda: encode(payload)),
        "botocore_serialize_ms": cpu_ms(lambda: serialize(item)),
        "loop_held_on_loop_ms": loop_held_ms(body, off_loop=False),
        "loop_held_off_loop_ms": loop_held_ms(body, off_loop=True),
    }


def measure() -> dict[str, Any]:
    results: dict[str, Any] = {
        "command": "python -m bench.codec",
        "repetitions": REPETITIONS,
        "off_loop_bytes": OFF_LOOP_BYTES,
        "machine_before": machine_state(),
        "loop_held_idle_ms": loop_held_ms(b"", off_loop=None),
        "shapes": {},
    }
    for name, element in SHAPES.items():
        results["shapes"][name] = measure_shape(*largest_body(element))
    results["calibration_ms"] = statistics.median(
        shape["calibration_ms"] for shape in results["shapes"].values()
    )
    results["machine_after"] = machine_state()
    return results


def table(results: dict[str, Any]) -> str:
    """The guarantees page's table, from a results file alone."""
    calibration = results["calibration_ms"]
    lines = [
        f"Command: `{results['command']}` (median of {results['repetitions']}; calibration, a "
        f"fixed pure-Python workload measured beside each shape: median {calibration:.1f} ms "
        "CPU).",
        "",
        "| largest accepted body | bytes | elements | conversion CPU ms | x calibration | "
        "x `json.loads` | encoding CPU ms | botocore's serializer CPU ms | "
        "loop held, on the loop ms | loop held, in a thread ms |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, shape in results["shapes"].items():
        lines.append(
            f"| {name} | {shape['body_bytes']:,} | {shape['elements']:,} | "
            f"{shape['convert_ms']:.0f} | "
            f"{shape['convert_ms'] / shape['calibration_ms']:.2f} | "
            f"{shape['convert_ms'] / shape['json_loads_ms']:.1f} | "
            f"{shape['encode_ms']:.0f} | {shape['botocore_serialize_ms']:.0f} | "
            f"{shape['loop_held_on_loop_ms']:.0f} | {shape['loop_held_off_loop_ms']:.0f} |"
        )
    before, after = results["machine_before"], results["machine_after"]
    lines += [
        "",
        f"The loop held with nothing to convert (the machine's own noise): "
        f"{results['loop_held_idle_ms']:.0f} ms. Bodies over {results['off_loop_bytes']:,} bytes "
        "are converted and encoded in a thread. "
        f"Machine: {before['cpus']} CPUs; before: load {before['load_1m']:.2f}, steal "
        f"{before['steal_pct']:.1f}%; after: load {after['load_1m']:.2f}, steal "
        f"{after['steal_pct']:.1f}%.",
    ]
    lines += [f"Flag: {flag}." for flag in results.get("flags", [])]
    return "\n".join(lines) + "\n"


def main() -> None:
    record_run(measure, table, CODEC_FILE)


if __name__ == "__main__":
    main()
