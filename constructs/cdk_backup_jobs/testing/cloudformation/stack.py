"""What the simulator's helpers (requests, wait conditions, resource steps) read of the simulated stack.

``CloudFormationSimulator`` is the one implementation; the helpers take this
view of it, so none of them imports the simulator.
"""

from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass
from typing import Any, Callable, Protocol

from cdk_backup_jobs.testing.cloudformation.functions import Functions
from cdk_backup_jobs.testing.cloudformation.response_server import RunningResponseServer
from cdk_backup_jobs.testing.cloudformation.service_endpoints import RunningEventsServer
from cdk_backup_jobs.testing.iam.model import AccountIam
from cdk_backup_jobs.testing.shared.account import Place, current_place
from cdk_backup_jobs.testing.shared.virtual_time import ManualClock, VirtualTimeLoop


@dataclass
class Provisioned:
    """A resource of the stack: its type, physical ID, Fn::GetAtt attributes and properties."""

    resource_type: str
    physical_id: str
    attributes: dict[str, Any]
    properties: dict[str, Any]


class SimulatedStack(Protocol):
    responses: RunningResponseServer
    stack_id: str
    functions: Functions
    duplicate: set[str]
    lambda_retries: int
    stub_types: frozenset[str]
    event_driven: bool
    loop: VirtualTimeLoop
    clock: ManualClock
    scheduler: RunningEventsServer | None
    on_tick: Callable[[float], None] | None
    resources: dict[str, Provisioned]
    cancelled: threading.Event
    iam: AccountIam | None


def stack_arn(stack_name: str, place: Place | None = None) -> str:
    """A new stack's ID in ``place`` (default: the current one): every CreateStack makes a new one, even of a
    name used before."""
    place = place or current_place()
    return f"arn:aws:cloudformation:{place.region}:{place.account_id}:stack/{stack_name}/{uuid.uuid4()}"


def clock_of(on_tick: Callable[[float], None] | None) -> ManualClock | None:
    """The ManualClock whose ``advance`` ``on_tick`` is (``on_tick=clock.advance``): that clock is the stack's."""
    owner = getattr(on_tick, "__self__", None)
    return owner if isinstance(owner, ManualClock) and getattr(on_tick, "__func__", None) is ManualClock.advance \
        else None
