"""The simulated gateway of ``bench_stream``, stamping every message it encodes (not collected by pytest).

Runs ``python -m app.sim`` unchanged (same arguments) with one addition: each message a
client connection sends (``app.sim.connection.ClientConnection.send``: one framed message
per call, the handshake reply first) gets the monotonic time of that call and its msgId.
When a connection closes, ``STAMP_DIR/stamps-<clientId>.npz`` is written with ``t``
(float64 seconds, ``time.monotonic``, the same clock as the client process on this
machine) and ``msg_id`` (int16, -1 for the handshake reply) per message in sending order.
``STAMP_DIR`` comes from the environment variable ``IBDESK_BENCH_STAMPS``.

Usage: ``IBDESK_BENCH_STAMPS=/tmp/st .venv/bin/python -m tests.benchmarks.stream_gateway --port 0 ...``
"""

from __future__ import annotations

import os
import sys
import time
from array import array


def install(stamp_dir: str) -> None:
    """Wrap ``ClientConnection.send`` and ``close`` to record and save the stamps."""
    import numpy as np

    from app.sim.connection import ClientConnection

    send, close = ClientConnection.send, ClientConnection.close

    def stamped_send(self, msg: bytes) -> None:
        st = self.__dict__.get("_bench_stamps")
        if st is None:
            st = self._bench_stamps = (array("d"), array("h"))
        st[0].append(time.monotonic())
        end = msg.find(b"\0", 4)
        st[1].append(int(msg[4:end]) if len(st[1]) else -1)
        send(self, msg)

    def stamped_close(self) -> None:
        st = self.__dict__.pop("_bench_stamps", None)
        if st is not None and self.client_id is not None:
            path = os.path.join(stamp_dir, f"stamps-{self.client_id}.npz")
            np.savez(path + ".tmp.npz", t=np.frombuffer(st[0], dtype=np.float64),
                     msg_id=np.frombuffer(st[1], dtype=np.int16))
            os.replace(path + ".tmp.npz", path)
        close(self)

    ClientConnection.send = stamped_send
    ClientConnection.close = stamped_close


def main(argv: list[str] | None = None) -> int:
    stamp_dir = os.environ.get("IBDESK_BENCH_STAMPS")
    if not stamp_dir:
        print("set IBDESK_BENCH_STAMPS to the folder for the stamp files", file=sys.stderr)
        return 2
    install(stamp_dir)
    from app.sim.__main__ import main as sim_main

    return sim_main(argv)


if __name__ == "__main__":
    sys.exit(main())
