"""The task sizes Fargate accepts, from AWS's table of CPU and memory combinations."""

from __future__ import annotations

#: CPU units -> the memory values (MiB) Fargate allows with them.
FARGATE_SIZES: dict[int, frozenset[int]] = {
    256: frozenset({512, 1024, 2048}),
    512: frozenset(range(1024, 4097, 1024)),
    1024: frozenset(range(2048, 8193, 1024)),
    2048: frozenset(range(4096, 16385, 1024)),
    4096: frozenset(range(8192, 30721, 1024)),
    8192: frozenset(range(16384, 61441, 4096)),
    16384: frozenset(range(32768, 122881, 8192)),
}

#: Fargate's upper bound for a container's stop timeout, in seconds.
MAX_STOP_TIMEOUT = 120


def fargate_size_problems(cpu: int, memory: int) -> list[str]:
    allowed = FARGATE_SIZES.get(cpu)
    if allowed is None:
        return [f"Fargate has no {cpu} CPU units; choose one of {sorted(FARGATE_SIZES)}"]
    if memory not in allowed:
        return [
            f"Fargate with {cpu} CPU units takes {min(allowed)}..{max(allowed)} MiB "
            f"in steps it defines; {memory} MiB is not one of them"
        ]
    return []
