"""NewsModel without a view: subscribes for its life, newest first, bounded, log lines per
bulletin (WARN for an exchange that went down), close unsubscribes; to_bulletin from IB's shape."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from PySide6.QtCore import Qt

from app.broker.session_news import to_bulletin
from app.domain.scanner import BulletinType
from app.viewmodels.news import NewsModel, log_text
from app.viewmodels.table import RECORD_ROLE
from tests.fakes import FakeSession


def _texts(m, col=3):
    return [m.index(r, col).data() for r in range(m.rowCount())]


def test_newest_first_and_log_lines(qapp):
    s = FakeSession()
    m = NewsModel(s)
    assert s.bulletin_subscribers() == 1 and ("subscribe_bulletins", (True,)) in s.calls
    logs = []
    m.logLine.connect(lambda level, text: logs.append((level, text)))
    s.push_bulletin("RTH begin at 09:30 ET")
    s.push_bulletin("ARCA outage", type=2, exchange="ARCA")
    assert _texts(m) == ["ARCA outage", "RTH begin at 09:30 ET"]
    assert _texts(m, 1) == ["Exchange unavailable", "Regular"] and _texts(m, 2) == ["ARCA", ""]
    assert logs == [("INFO", "IB bulletin (Regular): RTH begin at 09:30 ET"),
                    ("WARN", "IB bulletin (Exchange unavailable, ARCA): ARCA outage")]
    assert m.index(0, 0).data()                                  # a time
    assert "msgId 2" in m.index(0, 3).data(Qt.ItemDataRole.ToolTipRole)
    assert m.index(1, 0).data(RECORD_ROLE).msg_id == 1


def test_bounded_and_clear(qapp):
    s = FakeSession()
    m = NewsModel(s, capacity=3)
    removed = []
    m.rowsRemoved.connect(lambda *a: removed.append(a))
    for i in range(5):
        s.push_bulletin(f"b{i}")
    assert _texts(m) == ["b4", "b3", "b2"] and len(removed) == 2
    m.clear()
    assert m.rowCount() == 0
    with pytest.raises(ValueError):
        NewsModel(s, capacity=0)


def test_close_unsubscribes(qapp):
    s = FakeSession()
    m = NewsModel(s)
    m.close()
    m.close()
    assert s.bulletin_subscribers() == 0
    assert s.push_bulletin("after") is None and m.rowCount() == 0


def test_to_bulletin_from_ib_shape():
    b = to_bulletin(SimpleNamespace(msgId=7, msgType=3, message=" ISLAND open \n", origExchange="ISLAND"))
    assert (b.msg_id, b.type, b.text, b.exchange) == (7, BulletinType.EXCHANGE_AVAILABLE, "ISLAND open", "ISLAND")
    assert b.received.tzinfo is not None
    assert to_bulletin(SimpleNamespace(msgId=8, msgType=9, message="x", origExchange="")).type is BulletinType.REGULAR
    assert log_text(b) == "IB bulletin (Exchange available, ISLAND): ISLAND open"
