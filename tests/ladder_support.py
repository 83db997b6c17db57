"""Shared test helper of the depth ladder: a FakeSession with the Session's depth API."""

from __future__ import annotations

from eventkit import Event

from app.domain.depth import DepthBook
from tests.fakes import FakeSession


class DepthFake(FakeSession):
    """FakeSession plus ``depthEvent``, ``subscribe_depth`` / ``unsubscribe_depth`` (counted in
    ``depth_refs``), ``depth(key)`` and the driver :meth:`push_book`."""

    def __init__(self, *a, **kw):
        super().__init__(*a, **kw)
        self.depthEvent = Event("depthEvent")
        self.depth_refs: dict[str, int] = {}
        self._books: dict[str, DepthBook] = {}

    def subscribe_depth(self, inst) -> None:
        self.depth_refs[inst.key] = self.depth_refs.get(inst.key, 0) + 1

    def unsubscribe_depth(self, inst) -> None:
        self.depth_refs[inst.key] -= 1

    def depth(self, key: str) -> DepthBook | None:
        return self._books.get(key)

    def push_book(self, inst, bids, asks) -> DepthBook:
        """Emit one ``depthEvent`` batch with the book ``bids`` / ``asks`` ([(price, size)])."""
        book = DepthBook(inst.key, tuple(bids), tuple(asks))
        self._books[inst.key] = book
        self.depthEvent.emit([book])
        return book
