"""Child process of test_crash.py: records events in a loop and prints, after each commit,
the number of rows committed so far (``COMMITTED n``), until it is killed.

Run: ``python -m tests.unit.journal.crash_child PATH``.
"""

from __future__ import annotations

import sys

from app.journal import Journal


def main(path: str) -> None:
    journal = Journal(path, client_id=1, batch_interval=0.002, batch_size=50)

    def committed(_last_id: int) -> None:
        sys.stdout.write(f"COMMITTED {journal.committed}\n")
        sys.stdout.flush()

    journal.on_commit(committed)
    print("READY", flush=True)
    seq = 0
    while True:
        journal.record("api", order_id=seq, text="x" * 200, seq=seq)
        seq += 1
        if seq % 50 == 0:
            journal.flush(1)                  # keep the queue short: commits all the time


if __name__ == "__main__":
    main(sys.argv[1])
