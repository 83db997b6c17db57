"""Audit journal (issue 5): an append-only SQLite record of every order intent, check,
confirmation, API call and broker callback.

- :class:`Journal` (``app.journal.journal``): the writer (queue + thread) and read methods.
- :func:`default_journal_path`: the per-profile file in the user data directory.
- ``app.journal.query``: the queries (``events``, ``order_history``).
- ``app.broker.journal_tap.attach_journal``: records ib_async's order callbacks.
- ``app.ui.journal_view.JournalView``: the dock widget.
"""

from app.journal.journal import COLUMNS, Journal, JournalEvent, default_journal_path

__all__ = ["COLUMNS", "Journal", "JournalEvent", "default_journal_path"]
