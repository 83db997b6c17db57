"""Session.probe: a link that keeps delivering data is busy, not dead (issue 12).

Under a firehose the reqCurrentTime answer waits in the read backlog behind the ticks;
the heartbeat took that for a dead link and dropped a working connection."""

from __future__ import annotations

import asyncio

from app.broker.session import Session


def _session_with_silent_time(loop) -> Session:
    s = Session("127.0.0.1", 4002, 1)

    async def never():
        await asyncio.sleep(3600)

    s.ib.reqCurrentTimeAsync = never
    s.ib.client._numBytesRecv = 0
    return s


def test_probe_true_while_data_arrives(aloop):
    s = _session_with_silent_time(aloop)

    async def feed():
        for _ in range(10):
            await asyncio.sleep(0.01)
            s.ib.client._numBytesRecv += 16384      # the socket keeps delivering ticks

    async def run():
        feeder = asyncio.ensure_future(feed())
        ok = await s.probe(0.05)
        await feeder
        return ok

    assert aloop.run_until_complete(run()) is True


def test_probe_false_on_silence(aloop):
    s = _session_with_silent_time(aloop)
    assert aloop.run_until_complete(s.probe(0.05)) is False
