"""A result line that stays true: cleared on a new symbol, replaced when its orders finish.

The ticket's "Placed order 31: BUY 100 AAPL LMT 187.50 DAY" stayed after the kill
switch had cancelled the order, and the chart's "Modify sent for order 7" and the
ticket's cash sizing ("10,000 USD at 187.51 = 53") stayed on other symbols (issue 14
item 8). :class:`StatusLine` shows a text on a ``QLabel`` together with what it is
about: the instrument (``Instrument.key``) and the orders (``OrderRecord``) it names.

- :meth:`StatusLine.symbol_changed`: another instrument is shown; a text about
  another instrument is cleared (a text about none stays).
- :meth:`StatusLine.order_changed`: one ``orderEvent``; when an order the text names
  is no longer working (Filled, Cancelled, ApiCancelled, Inactive), the text is
  replaced by the orders' states now, "Order 31 Cancelled: BUY 100 AAPL LMT 187.50 DAY".
"""

from __future__ import annotations

from PySide6.QtWidgets import QLabel

from app.domain import OrderRecord, OrderStatus
from app.ui import theme
from app.ui.format import fmt_price, fmt_qty


def _words(o: OrderRecord) -> str:
    """"BUY 100 AAPL LMT 187.50" (prices on the instrument's tick)."""
    tick = o.instrument.min_tick
    prices = " ".join(fmt_price(p, tick) for p in (o.stop_price, o.limit_price) if p is not None)
    return " ".join(x for x in (str(o.action), fmt_qty(o.quantity), o.instrument.display_symbol,
                                str(o.order_type), prices) if x)


def order_state_text(orders: list[OrderRecord]) -> str:
    """The orders' states in words: "Order 31 Filled: BUY 100 AAPL LMT 187.50 (100 at
    187.48)"; several joined by "; "."""
    parts = []
    for o in orders:
        text = f"Order {o.order_id} {o.status.value}: {_words(o)}"
        if o.filled:
            text += f" ({fmt_qty(o.filled)} at {fmt_price(o.avg_fill_price, o.instrument.min_tick)})"
        parts.append(text)
    return "; ".join(parts)


class StatusLine:
    """Shows results on ``label`` and keeps them true (see the module docstring).

    ``show(ok, text, key=..., orders=...)``: ``key`` the ``Instrument.key`` the text is
    about (None: none), ``orders`` the ``OrderRecord`` it names (sent or modified).
    Attributes for tests: ``key``, ``orders`` (by (client id, orderId)).
    """

    def __init__(self, label: QLabel):
        self.label = label
        self.key: str | None = None
        self.orders: dict[tuple[int, int], OrderRecord] = {}

    def show(self, ok: bool, text: str, *, key: str | None = None, orders=()) -> None:
        self._paint("ok_text" if ok else "error_text", text)
        self.key = key
        self.orders = {(o.client_id, o.order_id): o for o in orders if o is not None}

    def clear(self) -> None:
        self.label.clear()
        self.key = None
        self.orders = {}

    def _paint(self, role: str, text: str) -> None:
        theme.style(self.label, f"color: ${role};")  # a role of app.ui.theme: follows the theme
        self.label.setText(text)
        self.label.setToolTip(text if len(text) > 60 else "")

    def symbol_changed(self, key: str | None) -> None:
        """Another instrument (``Instrument.key``) is shown: clear a text about another one."""
        if self.key is not None and key != self.key:
            self.clear()

    def order_changed(self, rec: OrderRecord) -> None:
        """An ``orderEvent``: replace the text when an order it names stopped working."""
        k = (rec.client_id, rec.order_id)
        if k not in self.orders:
            return
        was_working = self.orders[k].is_working
        self.orders[k] = rec
        if was_working and not rec.is_working:
            done = [o for o in self.orders.values() if not o.is_working]
            colour = ("ok_text" if all(o.status is OrderStatus.FILLED for o in done) else
                      "error_text" if any(o.status is OrderStatus.INACTIVE for o in done) else "secondary_text")
            self._paint(colour, order_state_text(list(self.orders.values())))


__all__ = ["StatusLine", "order_state_text"]
