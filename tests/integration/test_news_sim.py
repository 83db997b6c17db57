"""IB news bulletins through the real ib_async client over a socket to the simulated gateway:
the day's scheduled bulletins first (allMessages), one from the admin command, counted
subscriptions with one cancel, the subscription redone after a reconnect without repeating
bulletins, and the news panel's model filling with a log line per bulletin."""

from __future__ import annotations

import asyncio

import pytest

from app.domain.scanner import BulletinType, NewsBulletin
from tests.integration.sim_support import (
    admin_command, arun, drop_and_reconnect, fast_supervisor, rth_start_time, sim_session, until,
)

pytestmark = pytest.mark.timeout(90)


@pytest.fixture(scope="module")
def gateway():
    from app.sim.server import GatewayThread

    with GatewayThread(seed=5, start_time=rth_start_time(), admin_port=0) as gw:
        yield gw


def test_scheduled_then_admin_bulletin_and_cancel(gateway):
    async def go():
        s = sim_session(gateway)
        await s.connect()
        try:
            got: list[NewsBulletin] = []
            s.bulletinEvent += got.append
            s.subscribe_bulletins(True)
            s.subscribe_bulletins(False)            # a second subscriber: no second request
            await until(lambda: len(got) >= 2, 10, "the day's bulletins (04:00, 09:25 NY)")
            assert got[0].type is BulletinType.EXCHANGE_AVAILABLE and got[0].exchange == "ISLAND"
            assert got[1].type is BulletinType.REGULAR and "09:30" in got[1].text
            n = len(got)
            reply = await asyncio.to_thread(admin_command, gateway.admin_port,
                                            "bulletin 2 @NYSE ibdesk test outage")
            assert reply.startswith("OK bulletin"), reply
            await until(lambda: len(got) > n, 5, "the admin bulletin")
            b = got[-1]
            assert (b.type, b.exchange, b.text) == (BulletinType.EXCHANGE_UNAVAILABLE, "NYSE",
                                                    "ibdesk test outage")
            assert b.received.tzinfo is not None and b.msg_id > got[0].msg_id
            s.unsubscribe_bulletins()
            assert s.bulletin_subscribers() == 1
            s.unsubscribe_bulletins()
            await asyncio.sleep(0.3)
            n = len(got)
            await asyncio.to_thread(admin_command, gateway.admin_port, "bulletin 1 after the cancel")
            await asyncio.sleep(1.0)
            assert len(got) == n, "a bulletin after the last unsubscribe"
        finally:
            s.disconnect()
    arun(go(), 40)


def test_bulletins_come_back_after_a_reconnect_without_repeats(gateway):
    async def go():
        s = sim_session(gateway)
        await s.connect()
        sup = fast_supervisor(s)
        try:
            got: list[NewsBulletin] = []
            s.bulletinEvent += got.append
            s.subscribe_bulletins(True)
            await until(lambda: len(got) >= 2, 10, "the day's bulletins")
            await drop_and_reconnect(s)
            await asyncio.sleep(1.0)                # the day's bulletins again: not repeated
            ids = [b.msg_id for b in got]
            assert len(ids) == len(set(ids))
            await asyncio.to_thread(admin_command, gateway.admin_port, "bulletin 1 after the reconnect")
            await until(lambda: got[-1].text == "after the reconnect", 5, "a bulletin after the reconnect")
        finally:
            sup.close()
            s.disconnect()
    arun(go(), 40)


def test_the_panel_model_fills_and_logs(gateway, qapp):
    from app.viewmodels.news import NewsModel

    async def go():
        s = sim_session(gateway)
        m = NewsModel(s)                            # subscribes before the connect
        logs = []
        m.logLine.connect(lambda level, text: logs.append((level, text)))
        await s.connect()
        try:
            await until(lambda: m.rowCount() >= 2, 10, "the day's bulletins in the model")
            await asyncio.to_thread(admin_command, gateway.admin_port, "bulletin 3 @ARCA panel test")
            await until(lambda: m.bulletin(0).text == "panel test", 5, "the admin bulletin on top")
            assert logs[-1] == ("INFO", "IB bulletin (Exchange available, ARCA): panel test")
        finally:
            m.close()
            s.disconnect()
    arun(go(), 40)
