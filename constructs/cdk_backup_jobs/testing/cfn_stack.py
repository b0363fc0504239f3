"""What the simulator's helpers (requests, wait conditions, resource steps) read of the simulated stack.

``CloudFormationSimulator`` is the one implementation; the helpers take this
view of it, so none of them imports the simulator.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any, Callable, Protocol

from cdk_backup_jobs.testing.backup_jobs import ManualClock
from cdk_backup_jobs.testing.cfn_functions import Functions
from cdk_backup_jobs.testing.event_loop import VirtualTimeLoop
from cdk_backup_jobs.testing.events_server import RunningEventsServer
from cdk_backup_jobs.testing.response_server import RunningResponseServer


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
    event_driven: bool
    loop: VirtualTimeLoop
    clock: ManualClock
    scheduler: RunningEventsServer | None
    on_tick: Callable[[float], None] | None
    resources: dict[str, Provisioned]
    cancelled: threading.Event
