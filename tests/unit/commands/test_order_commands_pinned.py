"""OrderCommands pinned by what reaches the session and by rule name: halted / read-only /
connection checks, risk limits from the command layer (position, quote, override, duplicate
and rate history on a real-sized monotonic clock), the journal and its command ids, and
execute's results and failures. Brackets and modifications: test_bracket_modify_pinned.py."""

from __future__ import annotations

import logging

import pytest

from app.commands import (
    CancelAll, CancelOrder, CommandRejected, Flatten, GlobalCancel, KillSwitch, Limit, ModifyOrder,
    OrderCommands, PlaceBracket, PlaceOrder, Reverse, RiskLimits,
)
from app.domain import Action, Instrument, OrderRequest, OrderType, Position, Quote
from tests.fakes import CONTRACTS, FakeSession, ListJournal
from tests.unit.commands.test_order_commands import FakeSession as SmallSession

T0 = 7_000_000.0   # a time.monotonic()-like value after a few weeks of uptime
ACCOUNT = "DU1234567"
SENDS = ("place_order", "place_bracket", "modify_order", "cancel_order", "global_cancel")


class Clock:
    """A monotonic clock the test moves (and holds still)."""

    def __init__(self, t: float = T0):
        self.t = t

    def __call__(self) -> float:
        return self.t


def new_session(**kw) -> FakeSession:
    """FakeSession without auto-submit, with two-sided quotes for AAPL and MSFT."""
    s = FakeSession(auto_submit=False, **kw)
    s.push_quote("AAPL", bid=150.0, ask=150.02)
    s.push_quote("MSFT", bid=400.0, ask=400.05)
    return s


AAPL, MSFT, NVDA, EUR = (CONTRACTS[k] for k in ("AAPL", "MSFT", "NVDA", "EUR.USD"))


def lmt(inst=AAPL, qty=100, price=150.0, action=Action.BUY) -> OrderRequest:
    return OrderRequest(inst, action, qty, OrderType.LMT, limit_price=price)


def sent(s) -> list[tuple[str, tuple]]:
    """The order requests the session received (place / bracket / modify / cancel / global)."""
    return [c for c in s.calls if c[0] in SENDS]


def rejected(c: OrderCommands, cmd, rule: str, *, soft: bool = False, override: bool = False):
    """``check`` raises and ``execute`` returns the same rejection (rule, soft, message)."""
    with pytest.raises(CommandRejected) as ei:
        c.check(cmd, override=override)
    assert (ei.value.rule, ei.value.soft) == (rule, soft), ei.value.reason
    res = c.execute(cmd, override=override)
    assert (res.ok, res.rule, res.soft, res.message) == (False, rule, soft, ei.value.reason)
    return res


def place(c: OrderCommands, s: FakeSession, req: OrderRequest, submit: bool = True) -> int:
    """A working order of this client (placed through ``c``; Submitted unless ``submit=False``)."""
    res = c.execute(PlaceOrder(req))
    assert res.ok, res.message
    if submit:
        s.submit(res.order.order_id)
    return res.order.order_id


def add_position(s: FakeSession, account: str, inst: Instrument, qty: float) -> None:
    """A portfolio row of any account (FakeSession.set_position knows only its own)."""
    s._positions[(account, inst.key)] = Position(account, inst, qty, 100.0)


# ---------------------------------------------------------------- session state checks

def test_halted_refuses_new_orders_and_sends_nothing():
    """While halted, PlaceOrder, PlaceBracket and Reverse are refused (rule "halted")."""
    s = new_session()
    c = OrderCommands(s, clock=Clock())
    s.set_position("AAPL", 100, 140.0)
    c.halted = True
    r = rejected(c, PlaceOrder(lmt()), "halted")
    assert r.message == ("Cannot place BUY 100 AAPL LMT 150.00 DAY: trading is halted by the kill "
                         "switch (resume trading first)")
    assert r.order is None and r.orders == ()
    r = rejected(c, PlaceBracket(lmt(), take_profit=151.0, stop_loss=149.0), "halted")
    assert r.message == ("Cannot place a bracket BUY 100 AAPL LMT 150.00 DAY: trading is halted by "
                         "the kill switch (resume trading first)")
    r = rejected(c, Reverse(AAPL.key), "halted")
    assert r.message == ("Cannot reverse a position: trading is halted by the kill switch "
                         "(resume trading first)")
    assert sent(s) == []


def test_halted_still_allows_modify_and_cancel_of_working_orders():
    """A halt blocks new orders only: a modify and a cancel of a working order are sent."""
    s = new_session()
    c = OrderCommands(s, clock=Clock())
    oid = place(c, s, lmt())
    c.halted = True
    assert c.execute(ModifyOrder(oid, limit_price=150.01)).ok
    assert c.execute(CancelOrder(oid)).ok
    assert sent(s)[1:] == [("modify_order", (oid, None, 150.01, None)), ("cancel_order", (oid,))]
    c.halted = False
    place(c, s, lmt(qty=5))
    assert sent(s)[-1] == ("place_order", (lmt(qty=5),))


def test_read_only_refuses_every_command_before_halted_and_connection():
    """Read-only refuses every command (rule read_only), ahead of halted and not connected."""
    s = new_session()
    c = OrderCommands(s, clock=Clock())
    oid = place(c, s, lmt())
    s.set_position("AAPL", 100, 140.0)
    c.read_only = True
    c.halted = True
    s.drop_connection()
    before = list(s.calls)
    commands = [PlaceOrder(lmt()), PlaceBracket(lmt(), 151.0, 149.0), ModifyOrder(oid, quantity=1),
                CancelOrder(oid), CancelAll(), GlobalCancel(), Flatten(), Reverse(AAPL.key),
                KillSwitch(flatten=True)]
    for cmd in commands:
        rejected(c, cmd, "read_only")
    assert rejected(c, PlaceOrder(lmt()), "read_only").message == (
        "Cannot place BUY 100 AAPL LMT 150.00 DAY: the terminal is in read-only mode")
    assert rejected(c, CancelOrder(oid), "read_only").message == (
        f"Cannot cancel order {oid}: the terminal is in read-only mode")
    assert s.calls == before


def test_read_only_is_a_bool_and_can_be_lifted():
    """read_only=1 is read-only; clearing it lets the same order through."""
    s = new_session()
    c = OrderCommands(s, read_only=1, clock=Clock())
    assert c.read_only is True
    rejected(c, PlaceOrder(lmt()), "read_only")
    c.read_only = False
    assert c.execute(PlaceOrder(lmt())).ok and sent(s) == [("place_order", (lmt(),))]


def test_halted_checked_before_connection_and_not_connected_rule():
    """Halted comes before not_connected; when not halted a disconnected session refuses with
    rule not_connected for every single command, naming it."""
    s = new_session()
    c = OrderCommands(s, clock=Clock())
    oid = place(c, s, lmt())
    s.drop_connection()
    c.halted = True
    rejected(c, PlaceOrder(lmt()), "halted")
    rejected(c, PlaceBracket(lmt(), 151.0, None), "halted")
    c.halted = False
    assert rejected(c, PlaceOrder(lmt()), "not_connected").message == (
        "Cannot place BUY 100 AAPL LMT 150.00 DAY: not connected to TWS / IB Gateway")
    assert rejected(c, PlaceBracket(lmt(), None, 149.0), "not_connected").message == (
        "Cannot place a bracket BUY 100 AAPL LMT 150.00 DAY: not connected to TWS / IB Gateway")
    assert rejected(c, ModifyOrder(oid, quantity=200), "not_connected").message == (
        f"Cannot modify order {oid}: not connected to TWS / IB Gateway")
    assert rejected(c, CancelOrder(oid), "not_connected").message == (
        f"Cannot cancel order {oid}: not connected to TWS / IB Gateway")
    assert sent(s) == [("place_order", (lmt(),))]


def test_ownership_is_checked_before_read_only_and_connection():
    """For modify / cancel the orderId and its owner come first (docstring order of check)."""
    s = new_session()
    c = OrderCommands(s, read_only=True, clock=Clock())
    s.add_order(_foreign_order(oid=7, client_id=3))
    s.drop_connection()
    rejected(c, CancelOrder(99), "unknown_order")
    rejected(c, ModifyOrder(7, quantity=1), "not_own_order")
    rejected(c, CancelOrder(0), "order_id")


def _foreign_order(oid: int, client_id: int):
    s = FakeSession(client_id=client_id, auto_submit=False)
    s._next_order_id = oid
    return s.place_order(lmt())


def test_halted_property_is_bool_and_journals_each_change_once():
    """halted starts False; setting it journals kill_switch engaged / resumed, only on a change."""
    j = ListJournal()
    c = OrderCommands(new_session(), journal=j, clock=Clock())
    assert c.halted is False
    c.halted = 1
    assert c.halted is True
    c.halted = True
    c.halted = 0
    assert c.halted is False
    assert j.rows == [
        ("kill_switch", {"engaged": True, "text": "trading halted", "client_id": 1}),
        ("kill_switch", {"engaged": False, "text": "trading resumed", "client_id": 1}),
    ]


def test_unknown_command_refused():
    """Anything that is not a command is refused with rule unknown_command, nothing sent."""
    s = new_session()
    j = ListJournal()
    c = OrderCommands(s, journal=j, clock=Clock())
    r = rejected(c, "BUY 100 AAPL", "unknown_command")
    assert r.message == "Unknown command 'BUY 100 AAPL'"
    assert j.rows[0] == ("intent", {"text": "'BUY 100 AAPL'", "command": "str", "order_id": None,
                                    "override": False, "client_id": 1,
                                    "command_id": j.rows[0][1]["command_id"]})
    assert sent(s) == []


# ---------------------------------------------------------------- place

def test_place_result_and_what_is_sent():
    """A passing PlaceOrder sends exactly the request; the result carries the new record."""
    s = new_session()
    c = OrderCommands(s, clock=Clock())
    res = c.execute(PlaceOrder(lmt(EUR, 20000, 1.10005)))
    assert sent(s) == [("place_order", (lmt(EUR, 20000, 1.10005),))]
    assert (res.ok, res.message, res.rule, res.soft) == (
        True, "Placed order 1: BUY 20,000 EUR.USD LMT 1.10005 DAY", "", False)
    assert res.order is s.order(1) and res.orders == (res.order,)


@pytest.mark.parametrize("req, rule, message", [
    (lmt(price=150.005), "tick_size",
     "Cannot place order: Limit price 150.005 is not a multiple of the tick size 0.01 (nearest: 150.01)"),
    (lmt(qty=0), "invalid_order", "Cannot place order: Quantity must be positive, got 0"),
    (lmt(qty=True), "invalid_order", "Cannot place order: Quantity must be a number, got True"),
    (OrderRequest(AAPL, Action.BUY, 1, OrderType.MKT, limit_price=150.0), "invalid_order",
     "Cannot place order: A MKT order takes no limit price"),
    (lmt(EUR, 20000, 1.10001), "tick_size",
     "Cannot place order: Limit price 1.10001 is not a multiple of the tick size 0.00005 (nearest: 1.10000)"),
])
def test_place_invalid_request_rule(req, rule, message):
    """IB's order rules: an off-tick price is rule tick_size, other problems invalid_order."""
    s = new_session()
    c = OrderCommands(s, clock=Clock())
    assert rejected(c, PlaceOrder(req), rule).message == message
    assert sent(s) == []


def test_undescribable_request_is_journaled_by_repr_and_refused():
    """A request that cannot describe itself is journaled and refused by its repr, no crash."""
    s = new_session()
    j = ListJournal()
    c = OrderCommands(s, journal=j, read_only=True, clock=Clock())
    req = lmt(qty="lots")
    cmd = PlaceOrder(req)
    res = rejected(c, cmd, "read_only")
    assert res.message == f"Cannot place {req!r}: the terminal is in read-only mode"
    assert j.rows[0][1]["text"] == repr(cmd)
    c.read_only = False
    assert rejected(c, cmd, "invalid_order").message == (
        "Cannot place order: Quantity must be a number, got 'lots'")


# ---------------------------------------------------------------- risk from the command layer

def test_max_position_uses_net_of_this_account_and_instrument_only():
    """The position for max_position is the net of the session's account rows (and rows
    without an account) of that instrument; other accounts and symbols are left out."""
    s = new_session()
    add_position(s, ACCOUNT, AAPL, 100)
    add_position(s, "", AAPL, 20)
    add_position(s, "DU999", AAPL, -500)
    add_position(s, ACCOUNT, MSFT, -1000)
    c = OrderCommands(s, limits=RiskLimits(max_position=Limit(True, 150, True)), clock=Clock())
    c.check(PlaceOrder(lmt(qty=30)))                       # 120 + 30 = 150: at the limit
    r = rejected(c, PlaceOrder(lmt(qty=31)), "max_position")
    assert "would be 151 (120 now + 31)" in r.message
    rejected(c, PlaceOrder(lmt(qty=271, action=Action.SELL)), "max_position")   # -151
    c.check(PlaceOrder(lmt(qty=270, action=Action.SELL)))                        # -150
    c.check(PlaceOrder(lmt(MSFT, 900, 400.0)))           # MSFT -1000 -> -100: reduces
    rejected(c, PlaceOrder(lmt(MSFT, 1, 400.0, Action.SELL)), "max_position")
    assert sent(s) == []


def test_max_position_with_a_session_without_positions_counts_zero():
    """A session without positions(): the position is 0 (the order alone is checked)."""
    s = new_session()
    s.positions = None
    c = OrderCommands(s, limits=RiskLimits(max_position=Limit(True, 150, True)), clock=Clock())
    c.check(PlaceOrder(lmt(qty=150)))
    rejected(c, PlaceOrder(lmt(qty=151)), "max_position")


class _PositionsNoAccount(SmallSession):
    """A session with positions() but no account_id: every row counts."""

    def __init__(self, rows):
        super().__init__()
        self.rows = rows

    def positions(self):
        return self.rows


def test_max_position_with_a_session_without_account_id_counts_every_row():
    """Without account_id every account's row of the instrument is netted."""
    aapl = CONTRACTS["AAPL"]
    s = _PositionsNoAccount([Position("DU1", aapl, 100, 1.0), Position("DU2", aapl, 40, 1.0)])
    c = OrderCommands(s, limits=RiskLimits(max_position=Limit(True, 150, True)), clock=Clock())
    c.check(PlaceOrder(lmt(qty=10)))
    rejected(c, PlaceOrder(lmt(qty=11)), "max_position")


def test_quote_passed_to_rules_is_the_instruments_own():
    """The price band compares with the order's instrument's quote; no quote, no pass."""
    s = new_session()
    band = RiskLimits(price_band_ticks=Limit(True, 5, True))
    c = OrderCommands(s, limits=band, clock=Clock())
    c.check(PlaceOrder(lmt(price=150.07)))
    rejected(c, PlaceOrder(lmt(price=150.08)), "price_band")
    c.check(PlaceOrder(lmt(MSFT, 1, 399.95)))
    rejected(c, PlaceOrder(lmt(MSFT, 1, 150.0)), "price_band")
    r = rejected(c, PlaceOrder(lmt(NVDA, 1, 150.0)), "price_band")
    assert r.message == "No quote for NVDA to check the price band against"
    s.quote = None                                   # a session without quotes
    assert rejected(c, PlaceOrder(lmt(price=150.0)), "price_band").message == (
        "No quote for AAPL to check the price band against")
    assert sent(s) == []


def test_soft_failure_needs_override_then_is_journaled_as_override():
    """A soft failure refuses with soft=True; with override=True the order is sent and the
    overridden rule journaled."""
    s = new_session()
    j = ListJournal()
    c = OrderCommands(s, limits=RiskLimits(price_band_ticks=Limit(True, 5, False)), journal=j,
                      clock=Clock())
    r = rejected(c, PlaceOrder(lmt(price=151.0)), "price_band", soft=True)
    assert sent(s) == []
    j.rows.clear()
    c.check(PlaceOrder(lmt(price=151.0)), override=True)
    res = c.execute(PlaceOrder(lmt(price=151.0)), override=True)
    assert res.ok and sent(s) == [("place_order", (lmt(price=151.0),))]
    cid = j.rows[0][1]["command_id"]
    text = "BUY 100 AAPL LMT 151.00 DAY"
    assert j.rows == [
        ("intent", {"text": text, "command": "PlaceOrder", "order_id": None, "override": True,
                    "client_id": 1, "command_id": cid}),
        ("check", {"result": "passed", "text": text, "order_id": None, "client_id": 1,
                   "command_id": cid}),
        ("override", {"rule": "price_band", "text": r.message, "order_id": None, "client_id": 1,
                      "command_id": cid}),
        ("api", {"call": "placeOrder", "order_id": 1, "perm_id": 0, "client_id": 1,
                 "symbol": "AAPL", "text": text, "command_id": cid}),
    ]


def test_hard_failure_is_never_overridden_even_behind_a_soft_one():
    """A hard failure refuses even with override, also when a soft rule failed before it."""
    s = new_session()
    limits = RiskLimits(max_order_quantity=Limit(True, 50, False),
                        price_band_ticks=Limit(True, 5, True))
    c = OrderCommands(s, limits=limits, clock=Clock())
    for override in (False, True):
        rejected(c, PlaceOrder(lmt(qty=60, price=151.0)), "price_band", override=override)
    rejected(c, PlaceOrder(lmt(qty=60)), "max_order_quantity", soft=True)
    assert c.execute(PlaceOrder(lmt(qty=60)), override=True).ok
    assert sent(s) == [("place_order", (lmt(qty=60),))]


def test_duplicate_refused_at_the_same_clock_instant():
    """The same order twice at the same clock value is a duplicate (soft), another is not."""
    s = new_session()
    clock = Clock()
    c = OrderCommands(s, limits=RiskLimits(duplicate_order=Limit(True, 2.0, False)), clock=clock)
    place(c, s, lmt())
    rejected(c, PlaceOrder(lmt()), "duplicate_order", soft=True)
    place(c, s, lmt(qty=101))
    clock.t = T0 + 1.9
    rejected(c, PlaceOrder(lmt()), "duplicate_order", soft=True)
    clock.t = T0 + 2.0
    place(c, s, lmt())
    assert [c[1][0].quantity for c in sent(s)] == [100, 101, 100]


def test_orders_per_minute_history_survives_sends_on_a_real_clock():
    """The rate limit counts the orders sent in the last 60 s on a large monotonic clock."""
    s = new_session()
    clock = Clock()
    c = OrderCommands(s, limits=RiskLimits(max_orders_per_minute=Limit(True, 3, True)), clock=clock)
    for i in range(3):
        clock.t = T0 + i
        place(c, s, lmt(qty=1 + i))
    clock.t = T0 + 59.5
    rejected(c, PlaceOrder(lmt(qty=9)), "max_orders_per_minute")
    clock.t = T0 + 60.0                      # the first order is 60 s old: no longer counted
    place(c, s, lmt(qty=9))
    rejected(c, PlaceOrder(lmt(qty=10)), "max_orders_per_minute")
    assert len(sent(s)) == 4


def test_duplicate_window_longer_than_the_one_hour_history_still_refuses():
    """A duplicate window of 2 h refuses the same order 1 h 30 s later (the history of sent
    orders is kept as long as the window, not cut at one hour), and lets it pass at 2 h."""
    s = new_session()
    clock = Clock()
    c = OrderCommands(s, limits=RiskLimits(duplicate_order=Limit(True, 7200.0, False)), clock=clock)
    place(c, s, lmt())
    clock.t = T0 + 3630.0
    place(c, s, lmt(qty=2))                  # a send prunes the history
    rejected(c, PlaceOrder(lmt()), "duplicate_order", soft=True)
    clock.t = T0 + 7200.0
    place(c, s, lmt(qty=3))
    place(c, s, lmt())
    assert [a[0].quantity for n, a in sent(s)] == [100, 2, 3, 100]


@pytest.mark.parametrize("window, kept", [(None, 3600.0), (Limit(True, 2.0, False), 3600.0),
                                          (Limit(True, 5400.0, False), 5400.0),
                                          (Limit(False, 5400.0, False), 3600.0)])
def test_sent_history_is_bounded(window, kept):
    """The history of sent orders keeps one hour, or the duplicate window when it is on and
    longer, and drops what is older on the next send (it does not grow for a whole trading day)."""
    s = new_session()
    clock = Clock()
    lim = RiskLimits() if window is None else RiskLimits(duplicate_order=window)
    c = OrderCommands(s, limits=lim, clock=clock)
    place(c, s, lmt(qty=1))
    clock.t = T0 + kept
    place(c, s, lmt(qty=2))                  # exactly ``kept`` old: still kept
    assert (len(c._recent), len(c._sent_times)) == (2, 2 if kept == 3600.0 else 1)
    clock.t = T0 + kept + 0.5
    place(c, s, lmt(qty=3))                  # now older: dropped
    assert [sig[2] for _, sig, _ in c._recent] == [2.0, 3.0]
    assert len(c._sent_times) == 2           # the rate limit's times: one hour


# ---------------------------------------------------------------- journal

def test_journal_rows_of_a_refused_and_of_a_placed_order():
    """intent / check rows (with rule, soft, text) for a refusal; intent / check / api for a send."""
    s = new_session()
    j = ListJournal()
    c = OrderCommands(s, limits=RiskLimits(max_order_quantity=Limit(True, 100, True)), journal=j,
                      clock=Clock())
    c.execute(PlaceOrder(lmt(qty=101)))
    c.execute(PlaceOrder(lmt()))
    cid1, cid2 = j.rows[0][1]["command_id"], j.rows[2][1]["command_id"]
    assert cid1 != cid2 and all(len(x) == 16 and int(x, 16) >= 0 for x in (cid1, cid2))
    assert j.rows == [
        ("intent", {"text": "BUY 101 AAPL LMT 150.00 DAY", "command": "PlaceOrder", "order_id": None,
                    "override": False, "client_id": 1, "command_id": cid1}),
        ("check", {"result": "rejected", "rule": "max_order_quantity", "soft": False,
                   "text": "Order quantity 101 exceeds the maximum of 100 shares per order",
                   "order_id": None, "client_id": 1, "command_id": cid1}),
        ("intent", {"text": "BUY 100 AAPL LMT 150.00 DAY", "command": "PlaceOrder", "order_id": None,
                    "override": False, "client_id": 1, "command_id": cid2}),
        ("check", {"result": "passed", "text": "BUY 100 AAPL LMT 150.00 DAY", "order_id": None,
                   "client_id": 1, "command_id": cid2}),
        ("api", {"call": "placeOrder", "order_id": 1, "perm_id": 0, "client_id": 1, "symbol": "AAPL",
                 "text": "BUY 100 AAPL LMT 150.00 DAY", "command_id": cid2}),
    ]


def test_journal_rows_of_a_cancel_name_the_order():
    """Cancel: intent and check carry the orderId, the api row the record's ids and symbol."""
    s = new_session()
    j = ListJournal()
    c = OrderCommands(s, journal=j, clock=Clock())
    oid = place(c, s, lmt(MSFT, 10, 400.0))
    j.rows.clear()
    res = c.execute(CancelOrder(oid))
    assert sent(s)[-1] == ("cancel_order", (oid,))
    assert (res.ok, res.message, res.order, res.orders) == (
        True, f"Cancel sent for order {oid}", s.order(oid), (s.order(oid),))
    cid = j.rows[0][1]["command_id"]
    assert j.rows == [
        ("intent", {"text": f"Cancel order {oid}", "command": "CancelOrder", "order_id": oid,
                    "override": False, "client_id": 1, "command_id": cid}),
        ("check", {"result": "passed", "text": f"Cancel order {oid}", "order_id": oid,
                   "client_id": 1, "command_id": cid}),
        ("api", {"call": "cancelOrder", "order_id": oid, "perm_id": 1_000_000 + oid, "client_id": 1,
                 "symbol": "MSFT", "text": "", "command_id": cid}),
    ]


def test_journal_rows_of_a_refused_modify_carry_the_order_id_and_result_the_record():
    """A refused modify: rows name the orderId; the result carries the existing record."""
    s = new_session()
    j = ListJournal()
    c = OrderCommands(s, journal=j, clock=Clock())
    oid = place(c, s, lmt())
    j.rows.clear()
    res = c.execute(ModifyOrder(oid, limit_price=150.0))
    assert (res.ok, res.rule, res.order) == (False, "no_change", s.order(oid))
    cid = j.rows[0][1]["command_id"]
    assert j.rows == [
        ("intent", {"text": f"Modify order {oid}: limit 150", "command": "ModifyOrder",
                    "order_id": oid, "override": False, "client_id": 1, "command_id": cid}),
        ("check", {"result": "rejected", "rule": "no_change", "soft": False, "text": res.message,
                   "order_id": oid, "client_id": 1, "command_id": cid}),
    ]


def test_confirmation_accepted_within_60s_links_its_command_id():
    """An accepted confirm / override gives the next execute (within 60 s) its command_id;
    a declined one, a later one or a second execute gets a new id."""
    j = ListJournal()
    clock = Clock()
    s = new_session()
    c = OrderCommands(s, journal=j, clock=clock)

    def next_id():
        j.rows.clear()
        c.execute(PlaceOrder(lmt(qty=len(s.calls) + 1)))
        ids = {f["command_id"] for _, f in j.rows}
        assert len(ids) == 1
        return ids.pop()

    for kind in ("confirm", "override"):
        c.record(kind, decision="accepted", text="Send it?")
        confirm = j.rows[-1]
        cid = confirm[1]["command_id"]
        assert confirm == (kind, {"decision": "accepted", "text": "Send it?", "client_id": 1,
                                  "command_id": cid})
        assert len(cid) == 16
        clock.t += 60.0
        assert next_id() == cid
        assert next_id() != cid
    c.record("confirm", decision="declined")
    declined = j.rows[-1][1]["command_id"]
    assert len(declined) == 16 and next_id() != declined
    c.record("confirm", decision="accepted")
    late = j.rows[-1][1]["command_id"]
    clock.t += 60.001
    assert next_id() != late
    c.record("confirm", decision="accepted", command_id="given")
    assert j.rows[-1][1]["command_id"] == "given" and next_id() == "given"


def test_rows_outside_execute_carry_no_command_id():
    """Entries written between commands (halt, reconnect) have no command_id."""
    j = ListJournal()
    c = OrderCommands(new_session(), journal=j, clock=Clock())
    c.execute(PlaceOrder(lmt()))
    c.halted = True
    c.record("note", text="x")
    assert j.rows[-2:] == [("kill_switch", {"engaged": True, "text": "trading halted", "client_id": 1}),
                           ("note", {"text": "x", "client_id": 1})]


def test_journal_without_session_client_id():
    """A session without client_id journals client_id None."""
    j = ListJournal()

    class Bare:
        is_connected = True

    c = OrderCommands(Bare(), journal=j)
    c.halted = True
    assert j.rows == [("kill_switch", {"engaged": True, "text": "trading halted", "client_id": None})]


def test_failing_journal_never_stops_trading_and_is_logged_once(caplog):
    """A journal that raises: orders are still sent; the failure is logged once."""

    class Broken:
        def record(self, kind, **fields):
            raise OSError("disk full")

    s = new_session()
    c = OrderCommands(s, journal=Broken(), clock=Clock())
    with caplog.at_level(logging.ERROR, logger="ibdesk.commands"):
        assert c.execute(PlaceOrder(lmt())).ok
        assert c.execute(PlaceOrder(lmt(qty=2))).ok
        c.halted = True
    assert len(sent(s)) == 2 and c.halted
    msgs = [r.getMessage() for r in caplog.records if r.name == "ibdesk.commands"]
    assert msgs == ["journal.record('intent') failed; trading continues"]


def test_no_journal_is_fine():
    """Without a journal everything works and record() is a no-op."""
    s = new_session()
    c = OrderCommands(s, clock=Clock())
    c.record("confirm", decision="accepted")
    assert c.execute(PlaceOrder(lmt())).ok


# ---------------------------------------------------------------- execute never raises

class _FailingSession(FakeSession):
    error: Exception = ConnectionError("socket closed")

    def place_order(self, req):
        raise self.error

    def modify_order(self, order_id, quantity=None, limit_price=None, stop_price=None):
        raise self.error

    def cancel_order(self, order_id):
        raise self.error


@pytest.mark.parametrize("error", [ConnectionError("Not connected: cannot place an order"),
                                   LookupError("Cannot modify order 1: no such order"),
                                   ValueError("Cannot cancel order 1: it is Filled")])
def test_session_errors_become_a_failed_result(error):
    """A session failure is a result (ok False, its message; the existing record for a
    modify / cancel, none for a new order), never an exception."""
    s = _FailingSession(auto_submit=False)
    s.push_quote("AAPL", bid=150.0, ask=150.02)
    c = OrderCommands(s, clock=Clock())
    existing = s._new_order(lmt())
    s.error = error
    res = c.execute(PlaceOrder(lmt(qty=5)))
    assert (res.ok, res.message, res.order, res.orders, res.rule, res.soft) == (
        False, str(error), None, (), "", False)
    for cmd in (ModifyOrder(existing.order_id, quantity=5), CancelOrder(existing.order_id)):
        res = c.execute(cmd)
        assert res.ok is False and res.message == str(error)
        assert res.order == existing and res.orders == ()


@pytest.mark.parametrize("bad", [[12], "12", True, 0, -3, 12.0])
def test_malformed_order_id_is_refused_without_asking_the_session(bad):
    """A malformed orderId (unhashable, text, bool, <= 0, float) is rule order_id."""
    s = new_session()
    c = OrderCommands(s, clock=Clock())
    for cmd in (ModifyOrder(bad, quantity=1), CancelOrder(bad)):
        res = rejected(c, cmd, "order_id")
        assert res.order is None
    assert sent(s) == []


def test_rejected_result_fields():
    """A refused command: ok is False, the rule and soft flag, no record for a new order."""
    s = new_session()
    c = OrderCommands(s, read_only=True, clock=Clock())
    res = c.execute(PlaceOrder(lmt()))
    assert res.ok is False and res.order is None and res.orders == ()


def test_global_cancel_without_working_orders_has_no_records():
    """An ok result without a record lists no records (orders == ()); its api row has no order."""
    s = new_session()
    j = ListJournal()
    c = OrderCommands(s, journal=j, clock=Clock())
    res = c.execute(GlobalCancel())
    assert (res.ok, res.order, res.orders, res.message) == (
        True, None, (), "Global cancel sent: 0 working orders of every client and TWS known to "
                        "this session")
    assert sent(s) == [("global_cancel", ())]
    assert j.rows[-1] == ("api", {"call": "reqGlobalCancel", "text": "0 working orders known",
                                  "client_id": 1, "command_id": j.rows[0][1]["command_id"]})


def test_intent_text_describes_bulk_commands_with_the_session():
    """The journaled intent of a bulk command counts what it touches in this session."""
    s = new_session()
    j = ListJournal()
    c = OrderCommands(s, journal=j, clock=Clock())
    place(c, s, lmt())
    j.rows.clear()
    c.execute(CancelAll())
    assert j.rows[0][1]["text"] == "Cancel 1 working order"


def test_log_lines_of_sent_refused_and_failed_commands(caplog):
    """The log says what was sent, what was refused (and why) and what failed."""
    s = new_session()
    c = OrderCommands(s, read_only=True, clock=Clock())
    ok, bad = PlaceOrder(lmt()), PlaceOrder(lmt(qty=2))
    with caplog.at_level(logging.INFO, logger="ibdesk.commands"):
        r = c.execute(ok)
        c.read_only = False
        c.execute(ok)
    msgs = [x.getMessage() for x in caplog.records if x.name == "ibdesk.commands"]
    assert msgs == [f"rejected {ok!r}: {r.message}", "Placed order 1: BUY 100 AAPL LMT 150.00 DAY"]
    caplog.clear()
    fs = _FailingSession(auto_submit=False)
    c = OrderCommands(fs, clock=Clock())
    with caplog.at_level(logging.INFO, logger="ibdesk.commands"):
        c.execute(bad)
    assert [x.getMessage() for x in caplog.records if x.name == "ibdesk.commands"] == [
        f"failed {bad!r}: socket closed"]


def test_quote_object_passed_is_the_sessions():
    """The quote object passed to the rules is session.quote(key) for the order's key."""
    s = new_session()
    asked = []
    real = s.quote

    def quote(key):
        asked.append(key)
        return real(key)

    s.quote = quote
    c = OrderCommands(s, limits=RiskLimits(price_band_ticks=Limit(True, 5, True)), clock=Clock())
    c.check(PlaceOrder(lmt(MSFT, 1, 400.0)))
    assert asked == [MSFT.key]
    s._quotes[AAPL.key] = Quote(AAPL.key, bid=150.0)   # one-sided: bid only
    c.check(PlaceOrder(lmt(price=150.05)))
    rejected(c, PlaceOrder(lmt(price=150.06)), "price_band")
