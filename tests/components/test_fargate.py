from __future__ import annotations

import pytest

from components.fargate import FARGATE_SIZES, fargate_size_problems


@pytest.mark.parametrize(
    ("cpu", "memory"), [(256, 512), (256, 2048), (512, 4096), (1024, 8192), (4096, 30720)]
)
def test_allowed_sizes(cpu: int, memory: int) -> None:
    assert fargate_size_problems(cpu, memory) == []


@pytest.mark.parametrize(("cpu", "memory"), [(256, 3072), (512, 512), (2048, 3072), (128, 512)])
def test_refused_sizes(cpu: int, memory: int) -> None:
    (problem,) = fargate_size_problems(cpu, memory)
    assert "Fargate" in problem


def test_the_table_matches_aws() -> None:
    # AWS's documented ranges: 0.25 vCPU 0.5-2 GB ... 16 vCPU 32-120 GB.
    assert {cpu: (min(m), max(m)) for cpu, m in FARGATE_SIZES.items()} == {
        256: (512, 2048),
        512: (1024, 4096),
        1024: (2048, 8192),
        2048: (4096, 16384),
        4096: (8192, 30720),
        8192: (16384, 61440),
        16384: (32768, 122880),
    }
