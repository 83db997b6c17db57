"""StableLabel: a price label whose size changes with the text's shape only (no relayout per tick)."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QHBoxLayout, QWidget

from app.ui.stable_label import StableLabel


class _LayoutRequests(QObject):
    def __init__(self):
        super().__init__()
        self.count = 0

    def eventFilter(self, obj, ev):  # noqa: N802 (Qt name)
        if ev.type() == QEvent.Type.LayoutRequest:
            self.count += 1
        return False


def test_same_shape_keeps_size_and_posts_no_layout_request(qtbot):
    host = QWidget()
    qtbot.addWidget(host)
    lay = QHBoxLayout(host)
    label = StableLabel("Last 187.50")
    lay.addWidget(label)
    host.show()
    qtbot.waitExposed(host)
    qtbot.wait(20)  # the layout of the first show is done
    size = label.size()
    assert label.text() == "Last 187.50"
    assert label.width() >= label.fontMetrics().horizontalAdvance("Last 888.88")  # any digits fit
    requests = _LayoutRequests()
    host.installEventFilter(requests)
    for price in ("187.51", "111.11", "999.99", "188.00"):
        label.setText(f"Last {price}")
        qtbot.wait(1)
    assert label.size() == size and label.text() == "Last 188.00"
    assert requests.count == 0
    label.setText("Last 1000.00")  # one digit more: the label grows (one layout)
    qtbot.wait(1)
    assert label.width() > size.width() and requests.count >= 1
    label.setText("")
    assert label.width() == 0 and label.text() == ""
