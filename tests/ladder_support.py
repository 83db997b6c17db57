"""Shared test helper of the depth ladder: ``DepthFake``, the name the ladder tests use for
:class:`~tests.fakes.FakeSession`, which has the Session's depth API (``depthEvent``,
counted ``subscribe_depth`` / ``unsubscribe_depth`` in ``depth_refs``, ``depth(key)`` and the
driver ``push_book``)."""

from __future__ import annotations

from tests.fakes import FakeSession

#: FakeSession serves depth itself (the Session has it); the old name stays
DepthFake = FakeSession
