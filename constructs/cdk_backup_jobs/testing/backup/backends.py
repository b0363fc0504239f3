"""Every account's and Region's AWS Backup behind one endpoint, each made on first use.

moto keeps a service's back ends in a ``BackendDict`` keyed by account and
Region, and picks one per request from the caller's credentials and the
Region of the request's signature (moto's "Multi-Account support",
http://docs.getmoto.org/en/latest/docs/multi_account.html); AWS keeps an
account's AWS Backup per Region ("AWS Backup is a Regional service", AWS
Backup Developer Guide, https://docs.aws.amazon.com/aws-backup/latest/devguide/whatisbackup.html).
So does this: the default place's emulator is the one a server was given,
and a request signed by another account's key, or for another Region with
such a key, reaches that place's own emulator (``shared.account``).
"""

from __future__ import annotations

import threading
from typing import Callable

from cdk_backup_jobs.testing.backup.emulator import BackupEmulator
from cdk_backup_jobs.testing.shared.account import Place, place_of_request


class BackupBackends:
    """``backends[place]``: that account's AWS Backup in that Region; ``of_request`` the one a request reaches."""

    def __init__(self, default: BackupEmulator, factory: Callable[[Place], BackupEmulator] | None = None) -> None:
        self.default = default
        self.factory = factory or (lambda place: BackupEmulator(clock=default.clock, place=place))
        """Makes a place's emulator on its first request (or ``backends[place]``)."""
        self._by_place: dict[Place, BackupEmulator] = {default.place: default}
        self._lock = threading.Lock()

    def __getitem__(self, place: Place) -> BackupEmulator:
        with self._lock:
            emulator = self._by_place.get(place)
            if emulator is None:
                emulator = self._by_place[place] = self.factory(place)
            return emulator

    def of_request(self, authorization: str | None) -> BackupEmulator:
        """The emulator of the request's account and Region (the default one's for a key not issued here)."""
        return self[place_of_request(authorization, self.default.place)]

    def places(self) -> list[Place]:
        """Every place that has an emulator now."""
        with self._lock:
            return list(self._by_place)
