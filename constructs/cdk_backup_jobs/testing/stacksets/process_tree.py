"""The peak resident memory of this process and every process it started, sampled from /proc.

The simulated fleet runs in this process, but each function of its stack
instances runs in Lambda workers of its own (``lambda_service``), so what it
costs the machine is the whole tree's memory, not this process's. The sum
of VmRSS counts a page that processes share once per process: an upper bound
of what the tree holds. Linux only; elsewhere nothing is sampled (``peak_bytes`` 0).
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any

PROC = Path("/proc")


def descendants(root: int) -> list[int]:
    """``root`` and every process below it, now."""
    children: dict[int, list[int]] = {}
    for entry in PROC.glob("[0-9]*"):
        try:
            parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue  # ended while we looked
        children.setdefault(parent, []).append(int(entry.name))
    found, stack = [], [root]
    while stack:
        pid = stack.pop()
        found.append(pid)
        stack.extend(children.get(pid, []))
    return found


def resident_bytes(pid: int) -> int:
    """A process's VmRSS, 0 if it has ended."""
    try:
        for line in (PROC / str(pid) / "status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        pass
    return 0


class PeakMemory:
    """``with PeakMemory() as peak: ...``; then ``peak.peak_bytes`` and ``peak.peak_processes``."""

    def __init__(self, interval_seconds: float = 0.1) -> None:
        self.interval_seconds = interval_seconds
        self.peak_bytes = 0
        self.peak_processes = 0
        self.samples = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample_until_stopped, daemon=True)

    def sample(self) -> int:
        """One look at the tree now; the peak kept. Returns the bytes seen."""
        if not PROC.is_dir():
            return 0
        pids = descendants(os.getpid())
        total = sum(resident_bytes(pid) for pid in pids)
        self.peak_bytes = max(self.peak_bytes, total)
        self.peak_processes = max(self.peak_processes, len(pids))
        self.samples += 1
        return total

    def _sample_until_stopped(self) -> None:
        while not self._stop.is_set():
            self.sample()
            self._stop.wait(self.interval_seconds)

    def __enter__(self) -> "PeakMemory":
        self._thread.start()
        return self

    def __exit__(self, *_: Any) -> None:
        self._stop.set()
        self._thread.join()
        self.sample()
