"""Shared test fixtures.

Tests run headless (``QT_QPA_PLATFORM=offscreen``). GUI tests that need
asyncio (qasync) use the ``aloop`` fixture and ``wait_until``: pytest-qt's
``qtbot.waitUntil`` spins only Qt's loop, which does not run asyncio tasks
until the qasync loop is running, so waits go through ``loop.run_until_complete``.
"""

from __future__ import annotations

import asyncio
import gc
import os
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

ROOT = Path(__file__).resolve().parent.parent
# the team's shared folder beside the clone; IBDESK_SHARED points elsewhere (a worktree)
SHARED = Path(os.environ.get("IBDESK_SHARED") or ROOT.parent / "shared")
SHARED_DATA = SHARED / "data"
SHARED_PROTOCOL = SHARED / "protocol"


def require_shared(path: Path) -> Path:
    """Return ``path`` or skip the test when the team's shared/ folder is absent."""
    if not path.exists():
        pytest.skip(f"{path} not present (the team's ../shared folder is not beside this clone)")
    return path


# Qt objects must be destroyed on the GUI thread. With automatic garbage
# collection, a cycle holding a QObject/QTimer can be collected on whatever
# thread happens to allocate (an ibapi reader thread, the simulated gateway's
# thread) and crash Qt later. As in the app (pyqtgraph's GarbageCollector),
# collection runs only here, on the main thread, after every test.
gc.disable()


@pytest.fixture(autouse=True)
def _collect_garbage_on_main_thread(request):
    yield
    gc.collect(2 if "qapp" in request.fixturenames or "qtbot" in request.fixturenames else 1)


@pytest.fixture
def shared_data() -> Path:
    return require_shared(SHARED_DATA)


@pytest.fixture
def shared_protocol() -> Path:
    return require_shared(SHARED_PROTOCOL)


@pytest.fixture
def aloop(qapp):
    """A qasync event loop bound to the test QApplication, set as the current loop."""
    import qasync

    class TestLoop(qasync.QEventLoop):
        """qasync's loop, "running" also while ``run_until_complete`` processes Qt events
        one last time after ``run_forever`` (qasync 0.28 runs those callbacks with no
        running loop, so a task stepped there fails in ``asyncio.get_running_loop``).
        The app runs one ``run_until_complete`` for its whole life and never sees this;
        tests call it many times."""

        def _after_run_forever(self):
            super()._after_run_forever()
            asyncio.events._set_running_loop(self)

        def run_until_complete(self, future):
            try:
                return super().run_until_complete(future)
            finally:
                asyncio.events._set_running_loop(None)

    loop = TestLoop(qapp, already_running=False)
    asyncio.set_event_loop(loop)
    yield loop
    for task in asyncio.all_tasks(loop):
        task.cancel()
    try:
        loop.run_until_complete(asyncio.sleep(0.01))
    except Exception:
        pass
    asyncio.set_event_loop(None)
    try:
        loop.close()
    except RuntimeError:
        pass


from tests.support import run_for, wait_until  # noqa: E402,F401  (re-export)


@pytest.fixture(autouse=True)
def _default_time_rule():
    """Every test starts with the default clock rule (View → Times is one app-wide setting)."""
    from app.viewmodels.timedisplay import DEFAULT_RULE, TIME_DISPLAY

    TIME_DISPLAY.set_rule(DEFAULT_RULE)
    yield
    TIME_DISPLAY.set_rule(DEFAULT_RULE)
    TIME_DISPLAY.local_zone = None
