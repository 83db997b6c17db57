"""The blotter's executions view-model: one row per fill (IB execId).

Fed by ``Session.executionEvent``: a new fill (IB execDetails) adds a row; the
same execId again (when IB's commissionReport arrives) updates commission and
realized P&L in place. Seeded from ``Session.executions()``. Times are UTC in
the records and shown by the one clock rule (exchange time of the instrument with
its zone, or local time: :data:`~app.viewmodels.timedisplay.TIME_DISPLAY`).
"""

from __future__ import annotations

from PySide6.QtCore import QObject

from app.domain import Execution
from app.ui import theme
from app.ui.format import fmt_money, fmt_price, fmt_qty, is_missing, sign_colour
from app.viewmodels.table import Column, RecordTableModel, with_samples
from app.viewmodels.timedisplay import TIME_DISPLAY, follow_time_rule


def _num(attr: str):
    def get(e: Execution):
        v = getattr(e, attr)
        return None if is_missing(v) else v
    return get


def _commission_text(v, e: Execution) -> str:
    if v is None:
        return ""
    return f"{fmt_money(v)} {e.commission_currency}".strip()


COLUMNS: tuple[Column[Execution], ...] = (
    Column("time", "Time", lambda e: e.time, lambda v, e: TIME_DISPLAY.text(v, e.instrument),
           sort=lambda v, e: v.timestamp() if v else float("-inf"),
           tooltip=lambda v, e: f"{v.isoformat()} (UTC)" if v else None, sample="88:88:88 ET",
           header_tip="IB's execution time; exchange or local time as chosen in View → Times"),
    Column("exec_id", "Exec ID", lambda e: e.exec_id),
    Column("order_id", "Order ID", lambda e: e.order_id, lambda v, e: str(v), numeric=True),
    Column("symbol", "Symbol", lambda e: e.instrument.display_symbol),
    Column("side", "Side", lambda e: e.side,
           foreground=lambda v, e: theme.qcolor("buy" if v == "BOT" else "sell"),
           header_tip="BOT = bought, SLD = sold"),
    Column("shares", "Shares", lambda e: e.shares, lambda v, e: fmt_qty(v), numeric=True),
    Column("price", "Price", lambda e: e.price, lambda v, e: fmt_price(v, e.instrument.min_tick),
           numeric=True),
    Column("commission", "Commission", _num("commission"), _commission_text, numeric=True),
    Column("realized_pnl", "Realized P&L", _num("realized_pnl"), lambda v, e: fmt_money(v),
           numeric=True, foreground=lambda v, e: sign_colour(v)),
)
#: the widest text each column normally shows: its minimum width (``app.ui.columns``)
COLUMNS = with_samples(COLUMNS, {
    "time": "88:88:88 ET", "exec_id": "0000e0d5.88888888.01.01", "order_id": "88888",
    "symbol": "EUR.USD", "side": "SLD", "shares": "88,888", "price": "8,888.88",
    "commission": "88.88 USD", "realized_pnl": "-8,888.88",
})


class ExecutionsModel(RecordTableModel[Execution]):
    """Every fill of the session, keyed by execId. ``session`` provides
    ``executions()`` and ``executionEvent``."""

    def __init__(self, session, parent: QObject | None = None, **kw):
        super().__init__(COLUMNS, parent, **kw)
        self.session = session
        for e in session.executions():
            self.on_execution(e)
        session.executionEvent += self.on_execution
        follow_time_rule(self)

    def close(self) -> None:
        """Stop listening to ``executionEvent`` and the time rule."""
        self.session.executionEvent -= self.on_execution
        follow_time_rule(self, False)

    def on_execution(self, execution: Execution) -> None:
        """Session ``executionEvent`` handler: add the fill or update its commission."""
        self.upsert(execution.exec_id, execution)
