"""The live reqMktData subscriptions of one API client, indexed both ways."""

from __future__ import annotations


class Subscriptions(dict):
    """reqId -> conId of the live reqMktData subscriptions, with the reverse index
    ``by_con_id()`` (conId -> reqIds) rebuilt only after a change."""

    __slots__ = ("_by_con",)

    def __init__(self):
        super().__init__()
        self._by_con: dict[int, list[int]] | None = None

    def by_con_id(self) -> dict[int, list[int]]:
        """conId -> reqIds subscribed to it (in subscription order)."""
        if self._by_con is None:
            idx: dict[int, list[int]] = {}
            for rid, cid in self.items():
                idx.setdefault(cid, []).append(rid)
            self._by_con = idx
        return self._by_con

    def __setitem__(self, key, value):
        self._by_con = None
        super().__setitem__(key, value)

    def __delitem__(self, key):
        self._by_con = None
        super().__delitem__(key)

    def pop(self, *args):
        self._by_con = None
        return super().pop(*args)

    def clear(self):
        self._by_con = None
        super().clear()

    def update(self, *args, **kw):
        self._by_con = None
        super().update(*args, **kw)

    def setdefault(self, key, default=None):
        self._by_con = None
        return super().setdefault(key, default)

    def popitem(self):
        self._by_con = None
        return super().popitem()
