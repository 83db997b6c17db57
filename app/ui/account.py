"""The account panel: account id, summary values and the positions table.

Summary (from :class:`~app.viewmodels.account.AccountSummary`, IB
updateAccountValue tags and reqPnL): Net Liquidation as a live estimate (IB's
last value moved with the positions' live market value) and the value IB last
reported with its time, TotalCashValue, BuyingPower, AvailableFunds, Daily,
Unrealized and Realized P&L (coloured by sign, live from reqPnL), in the
account's currency. Positions (:class:`~app.viewmodels.account.PositionsModel`,
IB updatePortfolio valued at the live quote, reqPnLSingle): symbol, quantity,
average cost, market price, market value, unrealized, daily and realized P&L,
sorted on raw values, as TWS's portfolio window.

While the data is stale a line above the values says "Stale for 12 s: Connection
lost · values as of 14:03:12" (refreshed once a second), and each value not
updated since is grey and italic with "as of HH:MM:SS (age)" in its tooltip;
stale position rows are grey as well.
"""

from __future__ import annotations

import shiboken6
from PySide6.QtCore import QSize, QSortFilterProxyModel, Qt, QTimer
from PySide6.QtWidgets import (
    QAbstractItemView, QGridLayout, QLabel, QTableView, QTableWidget, QTableWidgetItem, QVBoxLayout,
    QWidget,
)

from app.ui.columns import TableColumns, shown_columns_width
from app.ui import theme
from app.ui.format import tabular_font
from app.viewmodels.account import (
    GREEKS_HEADERS, NET_LIQ_REPORTED, SUMMARY_TAGS, AccountSummary, PositionsModel, greeks_rows,
)
from app.ui.stale_label import stale_label
from app.ui.symbol_drag import drag_rows_out
from app.viewmodels.timedisplay import TIME_DISPLAY
from app.viewmodels.table import SORT_ROLE

#: position columns a new profile does not show (the header's menu shows them): the
#: account's realized P&L is in the summary above, each fill's in Executions; the live price
#: is in the watchlist (with it, orders and positions would not both fit 1920 px unscrolled)
POSITIONS_HIDDEN_BY_DEFAULT = ("market_price", "realized_pnl")
#: how often the option greeks table is rebuilt at most (milliseconds; it follows every quote)
GREEKS_REFRESH_MS = 250


_NAME_TIPS = {
    "NetLiquidation": "Live estimate: the Net Liquidation IB last reported, moved with the "
                      "positions' live market value (TWS sends NetLiquidation every few minutes)",
    NET_LIQ_REPORTED: "NetLiquidation as IB last reported it (updateAccountValue), and when",
    "DailyPnL": "Today's P&L since the prior close (IB reqPnL dailyPnL), moved with the quotes",
    "UnrealizedPnL": "Unrealized P&L (IB reqPnL), moved with the quotes",
    "RealizedPnL": "Today's realized P&L (IB reqPnL)",
}


class AccountPanel(QWidget):
    """Account summary over ``summary`` and positions over ``positions``.

    ``value_label(tag)`` returns the QLabel showing IB tag ``tag`` (e.g.
    "NetLiquidation").
    """

    def __init__(self, summary: AccountSummary, positions: PositionsModel, parent: QWidget | None = None):
        super().__init__(parent)
        self.summary = summary
        self.positions = positions
        if summary.positions is None:
            summary.follow_positions(positions)
        self.account = QLabel()
        self.account.setTextInteractionFlags(Qt.TextSelectableByMouse)
        f = self.account.font()
        f.setBold(True)
        self.account.setFont(f)
        #: "Stale for 12 s: Connection lost · values as of 14:03:12" while values are stale
        self.stale_label = stale_label("accountStale", wrap=True)
        grid = QGridLayout()
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setHorizontalSpacing(12)
        grid.addWidget(QLabel("Account"), 0, 0)
        grid.addWidget(self.account, 0, 1, 1, 2)
        self._labels: dict[str, QLabel] = {}
        self._currency: dict[str, QLabel] = {}
        self._names: dict[str, QLabel] = {}
        number_font = tabular_font(self.font())
        for row, (tag, label, _) in enumerate(SUMMARY_TAGS, start=1):
            name = QLabel(label)
            name.setToolTip(_NAME_TIPS.get(tag, f"IB account value tag {tag}"))
            self._names[tag] = name
            value = QLabel()
            value.setAlignment(Qt.AlignRight | Qt.AlignVCenter)
            value.setFont(number_font)
            value.setTextInteractionFlags(Qt.TextSelectableByMouse)
            value.setMinimumWidth(110)
            cur = QLabel()
            theme.style(cur, "color: $secondary_text;")
            grid.addWidget(name, row, 0)
            grid.addWidget(value, row, 1)
            grid.addWidget(cur, row, 2)
            self._labels[tag] = value
            self._currency[tag] = cur
        grid.setColumnStretch(1, 1)

        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(positions)
        self.proxy.setSortRole(SORT_ROLE)
        self.table = QTableView()
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(-1, Qt.AscendingOrder)
        self.table.setSelectionBehavior(QAbstractItemView.SelectRows)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(22)
        # widths from the fonts once, fitted to the first positions once (no per-change
        # layout work); the user drags them and picks the columns in the header's menu
        self.columns = TableColumns(self.table, positions.columns, "positions",
                                    hidden=POSITIONS_HIDDEN_BY_DEFAULT, fixed=("symbol",))
        self.table.horizontalHeader().setStretchLastSection(True)
        drag_rows_out(self.table)    # a position dragged onto a panel or a watchlist loads it

        # option greeks per underlying (delta-adjusted exposure); shown while options are held
        self.greeks_label = QLabel("Option greeks by underlying")
        self.greeks_table = QTableWidget(0, len(GREEKS_HEADERS))
        self.greeks_table.setObjectName("greeksTotals")
        self.greeks_table.setHorizontalHeaderLabels(list(GREEKS_HEADERS))
        self.greeks_table.verticalHeader().setVisible(False)
        self.greeks_table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.greeks_table.setToolTip("Delta in shares of the underlying (delta x multiplier x position, "
                                     "stock counts 1); * = an option whose greeks have not arrived yet")
        self.greeks_table.horizontalHeader().setStretchLastSection(True)

        lay = QVBoxLayout(self)
        lay.setContentsMargins(6, 6, 6, 6)
        lay.addWidget(self.stale_label)
        lay.addLayout(grid)
        lay.addWidget(QLabel("Positions"))
        lay.addWidget(self.table, 1)
        lay.addWidget(self.greeks_label)
        lay.addWidget(self.greeks_table)
        self.positions = positions
        # greeksChanged comes with each quote batch of a held option: the table is rebuilt at
        # most every GREEKS_REFRESH_MS, not per tick
        self._greeks_timer = QTimer(self)
        self._greeks_timer.setSingleShot(True)
        self._greeks_timer.setInterval(GREEKS_REFRESH_MS)
        self._greeks_timer.timeout.connect(self.refresh_greeks)
        positions.greeksChanged.connect(self._schedule_greeks)
        positions.modelReset.connect(self.refresh_greeks)
        positions.rowsInserted.connect(self.refresh_greeks)
        positions.rowsRemoved.connect(self.refresh_greeks)
        self.refresh_greeks()
        # no fixed minimum height: the layout's own (every summary row at its text height) holds,
        # and a short dock scrolls the panel (main_window.SCROLLED_PANELS) instead of squeezing it
        self.setMinimumWidth(300)
        summary.changed.connect(self.refresh)
        theme.notifier().changed.connect(self.refresh)  # the sign colours of the current theme
        summary.staleness.tick.connect(self.refresh)
        summary.staleness.changed.connect(self.refresh)
        TIME_DISPLAY.changed.connect(self.refresh)
        session = getattr(summary, "session", None)
        if session is not None and hasattr(session, "stateEvent"):
            session.stateEvent += self._on_state
        self.refresh()

    def _schedule_greeks(self) -> None:
        if not self._greeks_timer.isActive():      # a throttle: a steady feed still refreshes
            self._greeks_timer.start()

    def refresh_greeks(self, *_args) -> None:
        """The greeks totals per underlying (hidden while no option is held)."""
        totals = self.positions.greeks_totals()
        # an underlying held only as stock has no greeks to show
        with_options = {k: t for k, t in totals.items() if t.missing or t.gamma or t.vega or t.theta}
        rows = greeks_rows(with_options) if with_options else []
        shown = bool(rows)
        self.greeks_label.setVisible(shown)
        self.greeks_table.setVisible(shown)
        self.greeks_table.setRowCount(len(rows))
        for r, row in enumerate(rows):
            for c, text in enumerate(row):
                item = QTableWidgetItem(text)
                if c:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.greeks_table.setItem(r, c, item)
        self.greeks_table.setFixedHeight(self.greeks_table.horizontalHeader().height() + 4
                                         + sum(self.greeks_table.rowHeight(i) for i in range(len(rows))))

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt name)
        """As wide as the positions' visible columns (the main window sizes the dock from it)."""
        m = self.layout().contentsMargins()
        return QSize(shown_columns_width(self.table) + m.left() + m.right(), super().sizeHint().height())

    def _on_state(self, *_args) -> None:
        if shiboken6.isValid(self):
            self.refresh()
        else:  # the widget is gone: stop listening
            self.summary.session.stateEvent -= self._on_state

    def value_label(self, tag: str) -> QLabel:
        """The QLabel showing IB tag ``tag``; ``KeyError`` for a tag not in SUMMARY_TAGS."""
        return self._labels[tag]

    def refresh(self) -> None:
        """Copy the summary's values into the labels (called on ``summary.changed``)."""
        self.account.setText(self.summary.account_id or "—")
        for tag, _label, text, currency, colour in self.summary.rows():
            lab = self._labels[tag]
            lab.setText(text or "—")
            stale = self.summary.stale_text(tag)
            if stale:
                style = "color: $stale_text; font-style: italic;"
            else:
                style = f"color: {colour.name()};" if colour is not None else ""
            theme.style(lab, style)
            lab.setToolTip(f"Not live: {stale}" if stale else "")
            self._currency[tag].setText(currency)
        at = self.summary.as_of(NET_LIQ_REPORTED)
        self._names[NET_LIQ_REPORTED].setText(f"Net Liq. (IB {self.summary.time_text(at)})" if at
                                              else "Net Liq. (IB)")
        line = self.summary.stale_summary()
        self.stale_label.setText(line)
        self.stale_label.setVisible(bool(line))
