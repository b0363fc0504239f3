"""What the tests of the local AWS Backup share: an emulator with vaults on a manual clock, served over HTTP.

A test module asks for ``server`` (or ``emulator``); it may define its own ``clock`` or ``emulator`` to
start elsewhere in time or time jobs otherwise, and these fixtures take it.
"""

from __future__ import annotations

from typing import Any, Iterator

import pytest

from cdk_backup_jobs.testing import BackupEmulator, ManualClock, backup_server

from local_backup import emulator_with_vaults


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def emulator(clock: ManualClock) -> BackupEmulator:
    return emulator_with_vaults(clock)


@pytest.fixture
def server(emulator: BackupEmulator) -> Iterator[Any]:
    with backup_server(emulator) as running:
        yield running
