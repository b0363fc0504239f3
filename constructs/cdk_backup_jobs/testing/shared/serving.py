"""Running a local HTTP server on a background thread for the length of a ``with`` block."""

from __future__ import annotations

import threading
from contextlib import contextmanager
from http.server import ThreadingHTTPServer
from typing import Iterator

POLL_SECONDS = 0.05  # how often serve_forever checks for shutdown: keeps teardown fast


@contextmanager
def serving(server: ThreadingHTTPServer) -> Iterator[int]:
    """Serve until the block ends; yields the port (the server may have bound port 0)."""
    thread = threading.Thread(target=server.serve_forever, args=(POLL_SECONDS,), daemon=True)
    thread.start()
    try:
        yield int(server.server_address[1])
    finally:
        server.shutdown()
        server.server_close()
