"""The qasync test harness itself: asyncio tasks run while tests wait."""
import asyncio

from tests.support import wait_until
from PySide6.QtWidgets import QLabel


def test_ensure_future_under_waituntil(qtbot, aloop):
    lbl = QLabel("x"); qtbot.addWidget(lbl)
    async def work():
        await asyncio.sleep(0.05)
        lbl.setText("done")
    asyncio.ensure_future(work())
    aloop.run_until_complete(asyncio.sleep(0.2))
    assert lbl.text() == "done"

def test_run_until_complete(qtbot, aloop):
    async def work():
        await asyncio.sleep(0.05); return 5
    assert aloop.run_until_complete(work()) == 5


def test_wait_until_runs_tasks(qtbot, aloop):
    lbl = QLabel("x"); qtbot.addWidget(lbl)

    async def work():
        await asyncio.sleep(0.05)
        lbl.setText("done")

    asyncio.ensure_future(work())
    wait_until(aloop, lambda: lbl.text() == "done", timeout=2)
