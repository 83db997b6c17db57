"""View-models: Qt item models and QObjects that turn Session events into panel state.

Every table model is a :class:`~app.viewmodels.table.RecordTableModel` with
declarative column specs and coalesced ``dataChanged`` (see ``coalesce``);
views only read these and emit user intents. Modules: ``watchlist``
(quotes), ``orders`` (blotter orders), ``executions`` (fills), ``account``
(summary values and positions), ``ticket`` (the order being composed).
"""
