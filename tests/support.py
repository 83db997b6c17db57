"""Helpers for tests that drive a qasync loop (import: ``from tests.support import wait_until``)."""

from __future__ import annotations

import asyncio
import time


def wait_until(loop, predicate, timeout: float = 5.0, interval: float = 0.01, what: str = ""):
    """Run ``loop`` (asyncio + Qt events) until ``predicate()`` is true.

    Raises ``AssertionError`` naming ``what`` after ``timeout`` seconds.
    """

    async def poll():
        deadline = time.monotonic() + timeout
        while True:
            if predicate():
                return
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out after {timeout}s waiting for {what or predicate}")
            await asyncio.sleep(interval)

    loop.run_until_complete(poll())


def run_for(loop, seconds: float) -> None:
    """Let ``loop`` process asyncio and Qt events for ``seconds``."""
    loop.run_until_complete(asyncio.sleep(seconds))
