"""The front's Route 53 logic: a region leaves the answer after the failure threshold's checks
fail in a row, and rejoins after as many pass; the nearest healthy region is chosen."""

from __future__ import annotations

from local.health_front import HealthChecks


def test_a_region_leaves_after_threshold_failures_in_a_row() -> None:
    checks = HealthChecks(["a", "b"], threshold=3)
    checks.record("a", False)
    checks.record("a", False)
    checks.record("a", True)  # a pass breaks the streak
    checks.record("a", False)
    checks.record("a", False)
    assert checks.nearest() == "a"
    checks.record("a", False)
    assert not checks.healthy["a"]
    assert checks.nearest() == "b"


def test_a_region_rejoins_after_threshold_passes_in_a_row() -> None:
    checks = HealthChecks(["a", "b"], threshold=2)
    for _ in range(2):
        checks.record("a", False)
    assert checks.nearest() == "b"
    checks.record("a", True)
    assert checks.nearest() == "b"
    checks.record("a", True)
    assert checks.nearest() == "a"


def test_with_every_region_unhealthy_the_first_is_answered_as_route_53_does() -> None:
    checks = HealthChecks(["a", "b"], threshold=1)
    checks.record("a", False)
    checks.record("b", False)
    assert checks.nearest() == "a"
