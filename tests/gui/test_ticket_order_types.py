"""The order ticket with the trailing, auction and touch order types and the IOC / FOK /
GTD / OPG time in force (issue 14 item 17), driven as a trader does (the type and TIF
chosen in their drop-down lists with the mouse, numbers typed): which rows show for each
type, what reaches the session, the refusal shown in the ticket, the confirmation text."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QComboBox, QFormLayout

from app.commands import OrderCommands
from app.domain import Action, OrderType, TimeInForce
from app.ui.ticket import OrderTicket
from app.viewmodels.ticket import TicketModel
from tests.fakes import FakeSession
from tests.support import run_for, wait_until

NY = ZoneInfo("America/New_York")


@pytest.fixture
def setup(qtbot, aloop):
    s = FakeSession()
    t = OrderTicket(TicketModel(s, OrderCommands(s)))
    qtbot.addWidget(t)
    t.resize(420, 900)
    t.show()
    asked = []
    t.confirm = lambda text: asked.append(text) or True
    s.subscribe_quotes(s.contracts["AAPL"])
    s.push_quote("AAPL", bid=187.49, ask=187.51, last=187.50)
    t.set_instrument(s.contracts["AAPL"])
    return s, t, asked


def choose(qtbot, aloop, combo: QComboBox, text: str) -> None:
    """Open the drop-down list with a click and click the item ``text``."""
    i = combo.findText(text)
    assert i >= 0, f"{text!r} is not offered"
    qtbot.mouseClick(combo, Qt.LeftButton)
    view = combo.view()
    wait_until(aloop, view.isVisible, what="the list opens")
    run_for(aloop, QApplication.doubleClickInterval() / 1000 + 0.05)  # Qt ignores an instant release
    rect = view.visualRect(combo.model().index(i, 0))
    qtbot.mouseClick(view.viewport(), Qt.LeftButton, pos=rect.center())
    wait_until(aloop, lambda: combo.currentText() == text and not view.isVisible(), what=f"{text} chosen")


def type_into(qtbot, spin, text: str) -> None:
    """Select what the field shows and type ``text`` over it."""
    spin.setFocus()
    spin.selectAll()
    qtbot.keyClicks(spin, text)


def placed(s):
    return [c[1][0] for c in s.calls if c[0] == "place_order"]


def send(aloop, t):
    return aloop.run_until_complete(t.transmit())


def test_every_ib_type_and_tif_is_offered(setup):
    _, t, _ = setup
    assert [t.order_type.itemText(i) for i in range(t.order_type.count())] == [
        "MKT", "LMT", "STP", "STP LMT", "TRAIL", "TRAIL LIMIT", "MOC", "LOC", "MIT", "LIT"]
    assert [t.tif.itemText(i) for i in range(t.tif.count())] == ["DAY", "GTC", "IOC", "FOK", "GTD", "OPG"]


@pytest.mark.parametrize("otype, limit, stop, trail, offset", [
    ("MKT", False, False, False, False), ("LMT", True, False, False, False),
    ("STP", False, True, False, False), ("STP LMT", True, True, False, False),
    ("TRAIL", False, False, True, False), ("TRAIL LIMIT", False, False, True, True),
    ("MOC", False, False, False, False), ("LOC", True, False, False, False),
    ("MIT", False, True, False, False), ("LIT", True, True, False, False),
])
def test_each_type_shows_only_its_fields(qtbot, aloop, setup, otype, limit, stop, trail, offset):
    _, t, _ = setup
    choose(qtbot, aloop, t.order_type, otype)
    assert (t.limit.isVisible(), t.stop.isVisible()) == (limit, stop)
    g = t.type_fields
    assert (g.row_shown("trail"), g.row_shown("trail_stop"), g.row_shown("limit_offset")) == (trail, trail, offset)
    assert g.trail_amount.isVisible() is trail and g.limit_offset.isVisible() is offset
    assert not g.expiry.isVisible()
    label = g._stop_label.text()
    assert label == ("Trigger" if otype in ("MIT", "LIT") else "Stop")
    if stop:
        assert t.stop.value() > 0


def test_trailing_stop_by_amount_typed_and_sent(qtbot, aloop, setup):
    s, t, asked = setup
    qtbot.mouseClick(t.sell, Qt.LeftButton)
    choose(qtbot, aloop, t.order_type, "TRAIL")
    g = t.type_fields
    assert g.trail_amount.value() == pytest.approx(1.88)          # 1 % of 187.50, on the tick
    assert g.stop_now.text() == "stop now 185.62"
    type_into(qtbot, g.trail_amount, "1.5")
    assert g.stop_now.text() == "stop now 186.00"
    choose(qtbot, aloop, t.tif, "GTC")
    qtbot.mouseClick(g.outside_rth, Qt.LeftButton)
    assert t.transmit_button.text() == "SELL 100 AAPL TRAIL 1.50 GTC outside RTH"
    send(aloop, t)
    (req,) = placed(s)
    assert (req.order_type, req.trailing_amount, req.trailing_percent, req.tif, req.outside_rth) == (
        OrderType.TRAIL, 1.5, None, TimeInForce.GTC, True)
    assert asked == ["Sell 100 AAPL trailing stop 1.50 below the market (stop now 186.00), GTC, "
                     "outside RTH, about 18,749 USD at the bid 187.49"]


def test_trailing_percent_replaces_the_amount(qtbot, aloop, setup):
    s, t, asked = setup
    choose(qtbot, aloop, t.order_type, "TRAIL")
    g = t.type_fields
    choose(qtbot, aloop, g.trail_by, "Percent")
    assert g.trail_percent.isVisible() and not g.trail_amount.isVisible()
    type_into(qtbot, g.trail_percent, "2")
    assert g.stop_now.text() == "stop now 191.25"               # BUY: 187.50 + 2 %, up to the tick
    send(aloop, t)
    (req,) = placed(s)
    assert (req.trailing_percent, req.trailing_amount) == (2.0, None)
    assert asked[0].startswith("Buy 100 AAPL trailing stop 2 % above the market (stop now 191.25), DAY")


def test_trail_limit_with_an_initial_stop_and_offset(qtbot, aloop, setup):
    s, t, asked = setup
    qtbot.mouseClick(t.sell, Qt.LeftButton)
    choose(qtbot, aloop, t.order_type, "TRAIL LIMIT")
    g = t.type_fields
    type_into(qtbot, g.trail_stop, "185")
    assert g.stop_now.text() == ""
    type_into(qtbot, g.limit_offset, "0.25")
    send(aloop, t)
    (req,) = placed(s)
    assert (req.order_type, req.trail_stop_price, req.limit_offset, req.trailing_amount) == (
        OrderType.TRAIL_LIMIT, 185.0, 0.25, 1.88)
    assert asked[0].startswith("Sell 100 AAPL trailing stop 1.88 below the market (stop starts at 185.00), "
                               "then a limit 0.25 below the stop, DAY")


def test_trailing_refusal_is_shown_in_the_ticket(qtbot, aloop, setup):
    s, t, _ = setup
    choose(qtbot, aloop, t.order_type, "TRAIL LIMIT")
    g = t.type_fields
    type_into(qtbot, g.limit_offset, "0")           # 0 = empty
    assert t.problem.text() == "A TRAIL LIMIT order needs a limit offset (how far beyond the stop the limit is)"
    assert not t.transmit_button.isEnabled()
    type_into(qtbot, g.trail_amount, "0")
    assert t.problem.text() == "A TRAIL LIMIT order needs a trailing amount or a trailing percent"


def test_moc_is_a_day_order_and_gtc_is_refused(qtbot, aloop, setup):
    s, t, asked = setup
    choose(qtbot, aloop, t.tif, "GTC")
    choose(qtbot, aloop, t.order_type, "MOC")
    assert t.tif.currentText() == "DAY"
    assert t.problem.isHidden() and t.transmit_button.text() == "BUY 100 AAPL MOC DAY"
    assert not t.type_fields.outside_rth.isEnabled()
    assert "closing auction" in t.type_fields.outside_rth.toolTip()
    choose(qtbot, aloop, t.tif, "GTC")
    assert t.problem.text() == ("A MOC order must be a DAY order (it executes in today's closing auction), "
                                "not GTC")
    assert not t.transmit_button.isEnabled()
    choose(qtbot, aloop, t.tif, "DAY")
    send(aloop, t)
    assert placed(s)[0].order_type is OrderType.MOC
    assert asked == ["Buy 100 AAPL at the market on the close (MOC), DAY, about 18,751 USD at the ask 187.51"]


def test_loc_and_lit_carry_their_prices(qtbot, aloop, setup):
    s, t, asked = setup
    choose(qtbot, aloop, t.order_type, "LOC")
    type_into(qtbot, t.limit, "187.2")
    send(aloop, t)
    choose(qtbot, aloop, t.order_type, "LIT")
    assert t.stop.value() == pytest.approx(187.49)      # a BUY touch price on the bid
    type_into(qtbot, t.stop, "187")
    type_into(qtbot, t.limit, "187.05")
    wait_until(aloop, lambda: t.transmit_button.isEnabled(), what="the hold after a send ends")
    send(aloop, t)
    loc, lit = placed(s)
    assert (loc.order_type, loc.limit_price, loc.stop_price) == (OrderType.LOC, 187.2, None)
    assert (lit.order_type, lit.limit_price, lit.stop_price) == (OrderType.LIT, 187.05, 187.0)
    assert asked[1].startswith("Buy 100 AAPL limit 187.05 once the market touches 187.00 (LIT), DAY")


def test_opg_only_for_mkt_and_lmt(qtbot, aloop, setup):
    _, t, _ = setup
    choose(qtbot, aloop, t.order_type, "STP")
    choose(qtbot, aloop, t.tif, "OPG")
    assert t.problem.text() == "OPG (the opening auction) is for MKT and LMT orders only, not STP"
    choose(qtbot, aloop, t.order_type, "LMT")
    assert t.problem.isHidden() and t.transmit_button.isEnabled()


def test_ioc_refused_for_a_stop(qtbot, aloop, setup):
    _, t, _ = setup
    choose(qtbot, aloop, t.order_type, "MIT")
    choose(qtbot, aloop, t.tif, "IOC")
    assert t.problem.text().startswith("IOC fills at once or cancels, but a MIT order waits for its trigger")


def test_gtd_expiry_with_its_zone(qtbot, aloop, setup):
    s, t, asked = setup
    choose(qtbot, aloop, t.tif, "GTD")
    g = t.type_fields
    assert g.expiry.isVisible() and g.expiry_zone.currentText() == "America/New_York"
    shown = g.expiry.dateTime().toPython()
    assert (shown.hour, shown.minute) == (16, 0)
    assert shown.replace(tzinfo=NY) > datetime.now(timezone.utc)
    later = (datetime.now(NY) + timedelta(days=3)).replace(hour=12, minute=30, second=0, microsecond=0)
    g.expiry.setFocus()
    g.expiry.setSelectedSection(g.expiry.sectionAt(0))
    qtbot.keyClicks(g.expiry, later.strftime("%Y%m%d%H%M"))
    choose(qtbot, aloop, g.expiry_zone, "UTC")
    send(aloop, t)
    (req,) = placed(s)
    assert req.good_till == later.replace(tzinfo=ZoneInfo("UTC"))
    assert req.describe().endswith(f"GTD {later:%Y-%m-%d} 12:30 UTC")
    assert f"good till {later:%Y-%m-%d} 12:30 UTC (GTD)" in asked[0]


def test_gtd_in_the_past_is_refused_in_the_ticket(qtbot, aloop, setup):
    _, t, _ = setup
    choose(qtbot, aloop, t.tif, "GTD")
    g = t.type_fields
    g.expiry.setFocus()
    g.expiry.setSelectedSection(g.expiry.sectionAt(0))
    qtbot.keyClicks(g.expiry, "202001021600")
    assert t.problem.text() == "The GTD expiry 2020-01-02 16:00 America/New_York is not in the future"
    assert not t.transmit_button.isEnabled()


def test_outside_rth_only_where_it_applies(qtbot, aloop, setup):
    s, t, _ = setup
    g = t.type_fields
    qtbot.mouseClick(g.outside_rth, Qt.LeftButton)
    assert g.outside_rth.isChecked() and t.transmit_button.text().endswith("outside RTH")
    choose(qtbot, aloop, t.order_type, "MKT")
    assert not g.outside_rth.isEnabled() and not g.outside_rth.isChecked()
    assert g.outside_rth.toolTip().startswith("Outside RTH does not apply to a MKT order")
    send(aloop, t)
    assert placed(s)[0].outside_rth is False            # never sent with a MKT order
    choose(qtbot, aloop, t.order_type, "STP LMT")
    assert g.outside_rth.isEnabled() and g.outside_rth.isChecked()   # the trader's choice is kept


def test_confirm_toggles_of_the_new_types_follow_their_family(setup):
    _, t, _ = setup
    t.set_confirm_kind("STP", False)
    assert not t.toggles.needs(OrderType.TRAIL) and t.toggles.needs(OrderType.TRAIL_LIMIT)
    t.set_confirm_kind("MKT", False)
    assert not t.toggles.needs(OrderType.MOC) and not t.toggles.needs(OrderType.MIT)
    assert t.toggles.needs(OrderType.LOC) and t.toggles.needs(OrderType.LIT)
    t.confirm_orders = False
    assert not any(t.toggles.needs(o) for o in OrderType)


def test_model_prefill_with_a_sell_puts_a_touch_trigger_on_the_ask(setup):
    _, t, _ = setup
    m = t.model
    m.set_action(Action.SELL)
    m.set_order_type(OrderType.MIT)
    assert m.stop_price == 187.51


@pytest.mark.parametrize("prefilled", [True, False])
def test_an_offset_below_one_is_typed_as_written(qtbot, aloop, setup, prefilled):
    """"0.25" into a price field, over a value or into the blank one, reads 0.25 (the empty
    field's first-digit handling once turned the "0" of it into a blank, giving 25)."""
    _, t, _ = setup
    choose(qtbot, aloop, t.order_type, "TRAIL LIMIT")
    g = t.type_fields
    if not prefilled:
        g.limit_offset.setValue(0)
        assert g.limit_offset.text().strip() == ""
    type_into(qtbot, g.limit_offset, "0.25")
    assert g.limit_offset.value() == 0.25 and t.model.type_fields.limit_offset == 0.25


def test_gtd_rows_fit_the_ticket_width_and_the_button_elides(qtbot, aloop, setup):
    """In the ticket's usual width (345 px) the GTD rows keep their labels whole (the date
    and "America/New_York" side by side squeezed "Expires" to "E"), and the Transmit
    button's long text is elided, whole in its tooltip."""
    s, t, _ = setup
    t.resize(345, 900)
    choose(qtbot, aloop, t.tif, "GTD")
    qtbot.wait(50)
    g = t.type_fields
    for key in ("expiry", "expiry_zone"):
        label = g.form.itemAt(g._rows[key], QFormLayout.LabelRole).widget()
        assert label.isVisible() and label.width() >= label.sizeHint().width(), key
    b = t.transmit_button
    assert "GTD" in b.text() and b.shown_text().endswith("…") and b.toolTip() == b.text()
