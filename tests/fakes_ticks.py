"""``TickFakeSession``: the name the time & sales tests use for :class:`~tests.fakes.FakeSession`,
which serves trade prints (the ``app.broker.session_ticks`` contract: counted
``subscribe_trade_prints`` / ``unsubscribe_trade_prints`` and the test driver ``push_prints``)."""

from __future__ import annotations

from tests.fakes import FakeSession


#: FakeSession serves trade prints itself (the Session has them); the old name stays
TickFakeSession = FakeSession
