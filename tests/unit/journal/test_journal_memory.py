"""Memory held by journal events read for a view (issue 12): the JournalView keeps up to 5,000
events; each keeps its details as the stored JSON text (decoded on display), its kind and
symbol interned. Before: a decoded dict per event (~1,640 B per event, now ~550)."""

from __future__ import annotations

import gc
import tracemalloc

from app.journal import Journal, JournalEvent


def _fill(j: Journal, n: int) -> None:
    for i in range(n):
        j.record("openOrder", order_id=0, perm_id=10_000 + i, client_id=0, symbol=f"S{i % 500:04d}",
                 text=f"BUY 100 S{i % 500:04d} LMT 1 DAY Submitted", action="BUY", totalQuantity=100.0,
                 orderType="LMT", lmtPrice=1.0, auxPrice=None, tif="DAY", status="Submitted",
                 conId=5000 + i % 500, parentId=None, ocaGroup=None, orderRef=None, account="DU123456")
        j.record("orderStatus", order_id=0, perm_id=10_000 + i, client_id=0, symbol=f"S{i % 500:04d}",
                 text="Submitted filled 0 remaining 100", status="Submitted", filled=0.0, remaining=100.0,
                 avgFillPrice=0.0, lastFillPrice=0.0, whyHeld=None, mktCapPrice=0.0)
    assert j.flush()


def test_events_read_for_a_view_hold_their_details_as_text(tmp_path):
    n = 1000
    with Journal(tmp_path / "j.sqlite", client_id=7, batch_interval=0.01) as j:
        _fill(j, n)
        j.events(limit=10)          # open the reader outside the measurement
        gc.collect()
        tracemalloc.start()
        try:
            base = tracemalloc.get_traced_memory()[0]
            events = j.events(limit=2 * n)
            gc.collect()
            held = tracemalloc.get_traced_memory()[0] - base
        finally:
            tracemalloc.stop()
    assert len(events) == 2 * n
    per_event = held / len(events)
    print(f"{per_event:.0f} bytes held per journal event")
    assert per_event < 700, f"{per_event:.0f} bytes held per journal event"   # before: ~1,640
    # the same answers as before: details decoded on read, kinds/symbols interned
    first = events[0]
    assert first.kind == "openOrder" and first.details["account"] == "DU123456"
    assert first.details["auxPrice"] is None and first.details["lmtPrice"] == 1.0
    assert events[1].details["remaining"] == 100.0
    assert events[2].symbol is events[1002].symbol and events[0].kind is events[2].kind


def test_details_decoding_keeps_the_fallbacks():
    row = (1, "2026-01-02T03:04:05.000+00:00", "x", None, None, None, None, None)
    assert JournalEvent.from_row((*row, None)).details == {}
    assert JournalEvent.from_row((*row, "not json")).details == {"repr": "not json"}
    assert JournalEvent.from_row((*row, "[1, 2]")).details == {"value": [1, 2]}
    assert JournalEvent.from_row((*row, '{"a": 1}')).details == {"a": 1}
