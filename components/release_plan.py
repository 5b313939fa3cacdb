"""The steps that release an image by the stack's ``deploymentStrategy``, as data
(deploy/canary.py runs them; components/release_budget.py times them, and a stack whose
plan cannot finish inside a deploy job is refused on preview).

``rolling``: ``imageUri`` = the new image, ``up``. ``canary``, ``linear``, ``blueGreen``:

1. ``canaryImageUri`` = the new image, ``up``; wait until the canary runs it;
2. the walkthrough against the canary alone, through the test rules (``X-Picus-Release``);
3. for each step of :func:`components.deployment.shift_steps`: ``canaryWeight`` = its share,
   ``up``, bake: the canary group's alarms must stay out of ALARM for its minutes;
4. promote: ``imageUri`` = the new image, then the canary hands its share back
   (:func:`hand_back`).

An alarm, a failed walkthrough or a failed ``up`` before the promotion hands the share back to
the primary as it was (:func:`hand_back` again) and fails the job. Every ``up`` sets all the
keys a release moves, so each is the whole desired state: a rerun after a job that died
half-way first hands back what that job left (the stack's outputs say what the last ``up``
left).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any

from components import outputs, release_outputs
from components.deployment import DeploymentSettings, shift_steps

#: How many times a hand-back raises the primary's floor again when the canary grew while the
#: primary was growing (deploy/canary.py).
REGROW_ROUNDS = 2


class Floor(Enum):
    """What an ``up`` sets ``handoverCount`` to: the primary's least task count."""

    NONE = "none"  # 0: the primary's own minCount
    CANARY = "canary"  # the canary's running tasks, read when the ``up`` runs
    KEEP = "keep"  # what the ``up`` before set: the share moves on, the floor stays


@dataclass(frozen=True)
class Up:
    """Set the keys a release moves, then ``pulumi up``."""

    #: None: leave ``imageUri`` as the stack has it (a stack that builds its own image).
    image_uri: str | None
    canary_image_uri: str
    canary_weight: int
    why: str
    floor: Floor = Floor.NONE


@dataclass(frozen=True)
class AwaitCanary:
    """The canary service runs the revision the last ``up`` registered."""


@dataclass(frozen=True)
class AwaitPrimary:
    """The primary runs, healthy, at least the tasks the last ``up`` held it to."""


@dataclass(frozen=True)
class ConfirmWeight:
    """The listener's rules themselves send the canary ``weight`` %."""

    weight: int


@dataclass(frozen=True)
class Walkthrough:
    """The walkthrough, through the test rules, against the canary alone."""


@dataclass(frozen=True)
class Bake:
    weight: int
    minutes: int


Action = Up | AwaitCanary | AwaitPrimary | ConfirmWeight | Walkthrough | Bake


@dataclass(frozen=True)
class Running:
    """What the last ``up`` left, from the stack's outputs."""

    image_uri: str | None
    canary_image_uri: str
    canary_weight: int

    @classmethod
    def from_outputs(cls, values: Mapping[str, Any]) -> Running:
        return cls(
            image_uri=values.get(outputs.IMAGE_URI) or None,
            canary_image_uri=str(values.get(release_outputs.CANARY_IMAGE_URI) or ""),
            canary_weight=int(values.get(release_outputs.CANARY_WEIGHT) or 0),
        )

    @property
    def half_shifted(self) -> bool:
        return bool(self.canary_image_uri) or self.canary_weight > 0


@dataclass(frozen=True)
class Plan:
    actions: list[Action]
    #: The primary's image to hand back to on a failure before the promotion; None: no rollback.
    rollback_image: str | None = None
    #: What the stack ran before the plan: the canary's image and share an earlier run left.
    left_canary: str = ""
    left_weight: int = 0


def hand_back(primary_image: str | None, canary_image: str, weight: int, why: str) -> list[Action]:
    """The canary's share and tasks back to the primary, in order, each change in an ``up`` of
    its own (within one ``up`` Pulumi may update the scalable targets and the rules in any
    order): the primary grows to the canary's tasks and runs them before any share moves
    (RegisterScalableTarget moves a service's count into a new range at once); the share is 0,
    as the rules themselves confirm, before the canary's tasks go."""
    steps: list[Action] = []
    if weight > 0:
        steps += [
            Up(primary_image, canary_image, weight, f"{why}: the primary grows to the canary's "
               "tasks", Floor.CANARY),
            AwaitPrimary(),
            Up(primary_image, canary_image, 0, f"{why}: the canary hands its share back",
               Floor.KEEP),
        ]  # fmt: skip
    # Even with no canary image or share on record: a failed `up` may have started one.
    steps.append(ConfirmWeight(0))
    steps.append(Up(primary_image, "", 0, f"{why}: the canary's tasks go"))
    return steps


def plan(settings: DeploymentSettings, running: Running, image_uri: str | None) -> Plan:
    """The actions that release ``image_uri`` (None: the image the stack names or builds)
    from ``running``."""
    old = running.image_uri
    left = (running.canary_image_uri, running.canary_weight)
    leftover: list[Action] = []
    if running.half_shifted:
        leftover = hand_back(
            old, running.canary_image_uri, running.canary_weight,
            "roll back the canary an earlier run left",
        )  # fmt: skip
    shifting = settings.strategy.shifts_traffic
    if image_uri is None or not shifting or old is None or old == image_uri:
        # Rolling; a first deploy (no primary to stand beside); a rerun of a release the
        # primary already runs; or the stack's own image.
        why = (
            "the image the stack names or builds"
            if image_uri is None
            else "rolling"
            if not shifting
            else "nothing to canary"
        )
        final = Up(image_uri, "", 0, why)
        same = leftover and isinstance(leftover[-1], Up) and leftover[-1].image_uri == image_uri
        return Plan(leftover if same else [*leftover, final], None, *left)
    actions: list[Action] = [
        *leftover,
        Up(old, image_uri, 0, "the canary starts, no production traffic"),
        AwaitCanary(),
        Walkthrough(),
    ]
    weight = 0
    for weight, minutes in shift_steps(settings):
        actions += [
            Up(old, image_uri, weight, f"the canary takes {weight} %"),
            Bake(weight, minutes),
        ]
    # Promotion: the primary rolls to the new image while the canary still holds its share.
    actions += hand_back(image_uri, image_uri, weight, "promote")
    return Plan(actions, old, *left)
