"""Bulk commands pinned by what reaches the session and by rule name: CancelAll, GlobalCancel,
Flatten, Reverse, KillSwitch (``OrderCommands``) and the planning functions of
``app.commands.bulk`` (issue 13, "Tests that notice")."""

from __future__ import annotations

import pytest

from app.commands import (
    CancelAll, Flatten, GlobalCancel, KillSwitch, Limit, OrderCommands, PlaceOrder, Reverse,
    RiskLimits,
)
from app.commands import bulk
from app.commands.bulk import Holding
from app.commands.validation import CommandRejected
from app.domain import (
    Action, Instrument, OrderRecord, OrderRequest, OrderStatus, OrderType, Position, Quote,
)
from tests.fakes import CONTRACTS, FakeSession, ListJournal

AAPL, MSFT, NVDA, EURUSD = (CONTRACTS[k] for k in ("AAPL", "MSFT", "NVDA", "EUR.USD"))
ACCOUNT, OTHER_ACCOUNT = "DU1234567", "U7654321"
SENDS = ("place_order", "place_bracket", "modify_order", "cancel_order", "global_cancel")


class Clock:
    """A monotonic clock the test moves by hand (real-sized values)."""

    def __init__(self, t: float = 7_000_000.0):
        self.t = t

    def __call__(self) -> float:
        return self.t


class Session(FakeSession):
    """tests.fakes.FakeSession (nothing submits by itself) whose cancel / place can be made to
    fail for given orderIds / display symbols, like a gateway refusing one request."""

    def __init__(self, **kw):
        super().__init__(auto_submit=False, **kw)
        self.fail_cancel: dict[int, Exception] = {}
        self.fail_place: dict[str, Exception] = {}
        self._next_order_id = 100     # new orders above the ones a test adds by hand

    def cancel_order(self, order_id):
        if order_id in self.fail_cancel:
            self.calls.append(("cancel_order", (order_id,)))
            raise self.fail_cancel[order_id]
        return super().cancel_order(order_id)

    def place_order(self, req):
        if req.instrument.display_symbol in self.fail_place:
            self.calls.append(("place_order", (req,)))
            raise self.fail_place[req.instrument.display_symbol]
        return super().place_order(req)


def sent(s) -> list[tuple]:
    """What the code under test sent: cancels as ("cancel", id), orders as
    ("place", action, qty, type, limit, symbol), global cancels as ("global",)."""
    out = []
    for name, args in s.calls:
        if name == "cancel_order":
            out.append(("cancel", args[0]))
        elif name == "place_order":
            r = args[0]
            out.append(("place", r.action, r.quantity, r.order_type, r.limit_price,
                        r.instrument.display_symbol))
        elif name == "global_cancel":
            out.append(("global",))
        elif name in SENDS:
            out.append((name,) + tuple(args))
    return out


def order(oid: int, client_id: int = 1, status=OrderStatus.SUBMITTED, inst=AAPL, qty=100.0,
          price=150.0, action=Action.BUY) -> OrderRecord:
    return OrderRecord(oid, 0, client_id, inst, action, qty, OrderType.LMT, price, None, "DAY",
                       status, 0.0, qty, account=ACCOUNT)


def add(s: FakeSession, *recs: OrderRecord) -> None:
    """Orders the session knows: this client's ones in its order book, others via add_order."""
    for r in recs:
        if r.client_id == s.client_id:
            s._orders[r.order_id] = r
        else:
            s.add_order(r)


def position(inst: Instrument, qty: float, account: str = ACCOUNT) -> Position:
    return Position(account, inst, qty, 100.0)


def positions(s: FakeSession, *rows: Position) -> None:
    """The session's position rows, in this order (several rows per instrument allowed)."""
    s._positions = {(i, p.account, p.instrument.key): p for i, p in enumerate(rows)}


def quote(s: FakeSession, inst: Instrument, **fields) -> None:
    s._quotes[inst.key] = Quote(inst.key, **fields)


@pytest.fixture
def s():
    return Session()


@pytest.fixture
def clock():
    return Clock()


# ====================================================================== bulk.py: pure functions

def test_bulk_skip_sets_are_exact():
    """Flatten skips exactly the size, position and rate rules; Reverse only max position."""
    assert bulk.BULK_SKIP == {
        "flatten": frozenset({"max_order_quantity", "max_order_notional", "max_position",
                              "max_orders_per_minute"}),
        "reverse": frozenset({"max_position"}),
    }


def test_cancellable_orders_own_working_positive_ids_oldest_first():
    """Only this client's working orders with an orderId > 0, sorted by orderId."""
    orders = [
        order(30, status=OrderStatus.PRE_SUBMITTED),
        order(7, status=OrderStatus.API_PENDING),
        order(12, status=OrderStatus.PENDING_SUBMIT),
        order(5, status=OrderStatus.SUBMITTED),
        order(9, status=OrderStatus.PENDING_CANCEL),       # still working (the caller filters)
        order(4, client_id=2),                              # another client
        order(3, status=OrderStatus.FILLED),
        order(2, status=OrderStatus.CANCELLED),
        order(1, status=OrderStatus.INACTIVE),
    ]
    assert [o.order_id for o in bulk.cancellable_orders(orders, 1)] == [5, 7, 9, 12, 30]
    assert [o.order_id for o in bulk.cancellable_orders(orders, 2)] == [4]


def test_cancellable_orders_excludes_order_id_zero():
    """A TWS manual order (orderId 0, seen by client 0) cannot be cancelled by id: left out."""
    orders = [order(0, client_id=0), order(1, client_id=0)]
    assert [o.order_id for o in bulk.cancellable_orders(orders, 0)] == [1]


def test_cancellable_orders_of_one_instrument():
    """With an instrument key only that instrument's orders; None means every instrument."""
    orders = [order(3, inst=MSFT), order(1, inst=AAPL), order(2, inst=MSFT)]
    assert [o.order_id for o in bulk.cancellable_orders(orders, 1, MSFT.key)] == [2, 3]
    assert [o.order_id for o in bulk.cancellable_orders(orders, 1, AAPL.key)] == [1]
    assert [o.order_id for o in bulk.cancellable_orders(orders, 1, NVDA.key)] == []
    assert [o.order_id for o in bulk.cancellable_orders(orders, 1, None)] == [1, 2, 3]


def test_holdings_nets_rows_of_one_instrument():
    """Two rows of one instrument in the same account are netted (+100 and -40 -> 60)."""
    rows = [position(AAPL, 100), position(MSFT, -25), position(AAPL, -40)]
    assert bulk.holdings(rows, ACCOUNT) == [Holding(AAPL, 60), Holding(MSFT, -25)]


def test_holdings_leaves_out_net_zero():
    """An instrument whose rows net to zero is no holding."""
    rows = [position(AAPL, 100), position(AAPL, -100), position(EURUSD, 20_000)]
    assert bulk.holdings(rows, ACCOUNT) == [Holding(EURUSD, 20_000)]


def test_holdings_skips_other_accounts_and_keeps_scanning():
    """Rows of another account are left out (also when they come first); a row without an
    account counts for any account."""
    rows = [position(AAPL, 500, OTHER_ACCOUNT), position(AAPL, 10), position(MSFT, 7, ""),
            position(NVDA, 3, OTHER_ACCOUNT), position(NVDA, 4)]
    assert bulk.holdings(rows, ACCOUNT) == [Holding(AAPL, 10), Holding(MSFT, 7), Holding(NVDA, 4)]


def test_holdings_without_account_takes_every_row():
    """An empty session account (also the default) means rows of every account count."""
    rows = [position(AAPL, 500, OTHER_ACCOUNT), position(AAPL, 10)]
    assert bulk.holdings(rows, "") == [Holding(AAPL, 510)]
    assert bulk.holdings(rows) == [Holding(AAPL, 510)]


def test_holdings_of_one_instrument_keeps_scanning():
    """With an instrument key only its rows count, also when other rows come first."""
    rows = [position(MSFT, 5), position(AAPL, 10), position(NVDA, 1), position(AAPL, 2)]
    assert bulk.holdings(rows, ACCOUNT, AAPL.key) == [Holding(AAPL, 12)]
    assert bulk.holdings(rows, ACCOUNT, EURUSD.key) == []


@pytest.mark.parametrize("qty, action", [(1, Action.SELL), (-300, Action.BUY), (0.5, Action.SELL),
                                         (-0.5, Action.BUY)])
def test_closing_request_mkt_is_the_other_side(qty, action):
    """MKT: one market order on the other side for the given quantity (no price)."""
    req = bulk.closing_request(Holding(AAPL, qty), abs(qty), "MKT", None, 5)
    assert (req.instrument, req.action, req.quantity, req.order_type, req.limit_price,
            req.stop_price) == (AAPL, action, abs(qty), OrderType.MKT, None, None)


def test_closing_request_unknown_style():
    """A style other than MKT / LMT is refused as invalid_order."""
    with pytest.raises(CommandRejected) as e:
        bulk.closing_request(Holding(AAPL, 10), 10, "STP", Quote(AAPL.key, bid=1.0, ask=1.02), 5)
    assert e.value.rule == "invalid_order" and not e.value.soft
    assert e.value.reason == "Unknown flatten style 'STP': use MKT or LMT"


@pytest.mark.parametrize("qty, ticks, price", [
    (100, 5, 187.44),      # long: sell at bid - 5 ticks
    (-100, 5, 187.56),     # short: buy to cover at ask + 5 ticks
    (100, 0, 187.49),
    (-100, 0, 187.51),
    (-0.5, 2, 187.53),
])
def test_closing_request_marketable_limit(qty, ticks, price):
    """LMT: bid - ticks for a sell, ask + ticks for a buy-to-cover."""
    req = bulk.closing_request(Holding(AAPL, qty), abs(qty), "LMT",
                               Quote(AAPL.key, bid=187.49, ask=187.51), ticks)
    assert (req.action, req.quantity, req.order_type, req.limit_price) == (
        Action.SELL if qty > 0 else Action.BUY, abs(qty), OrderType.LMT, price)


def test_closing_request_limit_rounded_to_fx_tick():
    """The marketable limit is rounded to the instrument's tick (EUR.USD 0.00005)."""
    q = Quote(EURUSD.key, bid=1.085123, ask=1.085177)
    sell = bulk.closing_request(Holding(EURUSD, 20_000), 20_000, "LMT", q, 2)
    buy = bulk.closing_request(Holding(EURUSD, -20_000), 20_000, "LMT", q, 2)
    assert sell.limit_price == 1.085       # 1.085123 - 0.0001 = 1.085023 -> 1.08500
    assert buy.limit_price == 1.0853       # 1.085177 + 0.0001 = 1.085277 -> 1.08530


def test_closing_request_without_min_tick_uses_a_cent():
    """An instrument without a min tick is priced in 0.01 steps."""
    inst = Instrument("XYZ", con_id=4242, min_tick=0.0)
    q = Quote(inst.key, bid=10.0, ask=10.1)
    assert bulk.closing_request(Holding(inst, 5), 5, "LMT", q, 3).limit_price == 9.97
    assert bulk.closing_request(Holding(inst, -5), 5, "LMT", q, 3).limit_price == 10.13


def test_closing_request_short_is_covered_off_the_ask():
    """A buy-to-cover needs the ask: with a bid only it is refused (no_quote, "no ask")."""
    with pytest.raises(CommandRejected) as e:
        bulk.closing_request(Holding(AAPL, -10), 10, "LMT", Quote(AAPL.key, bid=187.49), 5)
    assert e.value.rule == "no_quote"
    assert e.value.reason == ("Cannot flatten AAPL with a marketable limit: no ask quote to price "
                              "it from")
    req = bulk.closing_request(Holding(AAPL, -10), 10, "LMT", Quote(AAPL.key, ask=187.51), 5)
    assert (req.action, req.limit_price) == (Action.BUY, 187.56)


def test_closing_request_long_is_sold_off_the_bid():
    """A sell needs the bid: with an ask or a last only it is refused (no_quote, "no bid")."""
    for q in (Quote(AAPL.key, ask=187.51), Quote(AAPL.key, last=187.5), None):
        with pytest.raises(CommandRejected) as e:
            bulk.closing_request(Holding(AAPL, 10), 10, "LMT", q, 5)
        assert e.value.rule == "no_quote"
        assert e.value.reason == ("Cannot flatten AAPL with a marketable limit: no bid quote to "
                                  "price it from")


def test_closing_request_sell_limit_must_be_positive():
    """bid - ticks at 0 is refused (no_quote); one tick above 0 is a valid limit."""
    with pytest.raises(CommandRejected) as e:
        bulk.closing_request(Holding(AAPL, 10), 10, "LMT", Quote(AAPL.key, bid=0.03), 3)
    assert e.value.rule == "no_quote"
    assert e.value.reason == ("Cannot flatten AAPL with a marketable limit: bid 0.03 - 3 ticks is "
                              "not a positive price")
    with pytest.raises(CommandRejected) as e:
        bulk.closing_request(Holding(AAPL, 10), 10, "LMT", Quote(AAPL.key, bid=0.02), 3)
    assert e.value.rule == "no_quote"
    req = bulk.closing_request(Holding(AAPL, 10), 10, "LMT", Quote(AAPL.key, bid=0.04), 3)
    assert req.limit_price == 0.01
    req = bulk.closing_request(Holding(AAPL, 10), 10, "LMT", Quote(AAPL.key, bid=1.5), 3)
    assert req.limit_price == 1.47


@pytest.mark.parametrize("qty, action, total", [(100, Action.SELL, 200), (-100, Action.BUY, 200),
                                                (0.5, Action.SELL, 1.0), (-3, Action.BUY, 6)])
def test_reverse_request_is_twice_the_other_way(qty, action, total):
    """Reverse: one MKT order for twice the position on the other side."""
    req = bulk.reverse_request(Holding(MSFT, qty))
    assert (req.instrument, req.action, req.quantity, req.order_type, req.limit_price) == (
        MSFT, action, total, OrderType.MKT, None)


# ====================================================================== CancelAll

def test_cancel_all_cancels_own_working_orders_oldest_first(s):
    """CancelAll: one cancel per own working order, lowest orderId first; nothing else sent."""
    add(s, order(14), order(3, status=OrderStatus.PRE_SUBMITTED), order(9, inst=MSFT),
        order(5, status=OrderStatus.API_PENDING), order(2, status=OrderStatus.FILLED),
        order(8, client_id=7), order(1, status=OrderStatus.PENDING_SUBMIT))
    res = OrderCommands(s).execute(CancelAll())
    assert sent(s) == [("cancel", 1), ("cancel", 3), ("cancel", 5), ("cancel", 9), ("cancel", 14)]
    assert res.ok and res.rule == ""
    assert res.message == "Cancel sent for 5 orders"
    assert [o.order_id for o in res.orders] == [1, 3, 5, 9, 14]
    assert res.order is None


def test_cancel_all_of_one_instrument(s):
    """CancelAll(key) cancels only that instrument's orders; one order -> "1 order"."""
    add(s, order(4, inst=MSFT), order(2, inst=AAPL), order(6, inst=MSFT))
    res = OrderCommands(s).execute(CancelAll(AAPL.key))
    assert sent(s) == [("cancel", 2)]
    assert res.ok and res.message == "Cancel sent for 1 order"
    assert res.order is not None and res.order.order_id == 2
    assert [o.order_id for o in res.orders] == [2]


def test_cancel_all_two_orders_counted_in_plural(s):
    """Two cancels: "2 orders" and no single ``order`` in the result."""
    add(s, order(4, inst=MSFT), order(6, inst=MSFT))
    res = OrderCommands(s).execute(CancelAll(MSFT.key))
    assert sent(s) == [("cancel", 4), ("cancel", 6)]
    assert res.ok and res.message == "Cancel sent for 2 orders" and res.order is None


def test_cancel_all_skips_pending_stale_and_cancels_order_with_modify_in_flight(s):
    """Left out: a cancel already pending (status or in flight), a stale orderId; an order with a
    MODIFY in flight IS cancelled."""
    add(s, order(1), order(2, status=OrderStatus.PENDING_CANCEL), order(3), order(4), order(5))
    s.in_flight = {3: "cancel", 4: "modify"}
    s.stale = {5}
    res = OrderCommands(s).execute(CancelAll())
    assert sent(s) == [("cancel", 1), ("cancel", 4)]
    assert res.ok and res.message == "Cancel sent for 2 orders"


def test_cancel_all_twice_does_not_cancel_again(s):
    """A cancel this terminal sent and the gateway has not answered blocks a second one."""
    add(s, order(1), order(2))
    c = OrderCommands(s)
    assert c.execute(CancelAll()).ok
    s.in_flight.clear()      # the fake forgets; the command layer's own mark still blocks
    res = c.execute(CancelAll())
    assert (res.ok, res.rule) == (False, "nothing_to_do")
    assert sent(s) == [("cancel", 1), ("cancel", 2)]


def test_cancel_all_nothing_to_do(s):
    """No own working order -> rule nothing_to_do, nothing sent (message names the symbol)."""
    add(s, order(1, status=OrderStatus.FILLED, inst=MSFT), order(2, client_id=5))
    c = OrderCommands(s)
    res = c.execute(CancelAll())
    assert (res.ok, res.rule, res.soft) == (False, "nothing_to_do", False)
    assert res.message == "No working orders of this client to cancel"
    res = c.execute(CancelAll(MSFT.key))
    assert res.rule == "nothing_to_do"
    assert res.message == "No working orders of this client in MSFT to cancel"
    positions(s, position(NVDA, 5))
    res = c.execute(CancelAll(NVDA.key))
    assert res.message == "No working orders of this client in NVDA to cancel"
    res = c.execute(CancelAll("999"))
    assert res.message == "No working orders of this client in conId 999 to cancel"
    assert sent(s) == []


def test_cancel_all_partial_failure_names_the_problem(s):
    """One cancel the session refuses: the others still go; ok False; the message names it."""
    add(s, order(1), order(2), order(3))
    s.fail_cancel[2] = ConnectionError("socket closed while cancelling 2")
    res = OrderCommands(s).execute(CancelAll())
    assert sent(s) == [("cancel", 1), ("cancel", 2), ("cancel", 3)]
    assert res.ok is False
    assert res.message == "Cancel sent for 2 orders (1 problem: socket closed while cancelling 2)"
    assert [o.order_id for o in res.orders] == [1, 3] and res.order is None


def test_cancel_all_every_cancel_failing(s):
    """Every cancel refused: ok False, "0 orders", both problems listed."""
    add(s, order(1), order(2))
    s.fail_cancel = {1: LookupError("no order 1"), 2: ValueError("order 2 is Filled")}
    res = OrderCommands(s).execute(CancelAll())
    assert res.ok is False and res.orders == () and res.order is None
    assert res.message == "Cancel sent for 0 orders (2 problems: no order 1; order 2 is Filled)"


def test_cancel_all_one_sent_one_failed_result_order_is_the_sent_one(s):
    """One cancel sent of two: the result's order is the one sent."""
    add(s, order(1), order(2))
    s.fail_cancel[1] = LookupError("no order 1")
    res = OrderCommands(s).execute(CancelAll())
    assert res.ok is False and res.order is not None and res.order.order_id == 2


def test_cancel_all_refusals_and_halt(s):
    """CancelAll: read-only and not connected refused by rule; allowed while halted."""
    add(s, order(1))
    c = OrderCommands(s, read_only=True)
    res = c.execute(CancelAll())
    assert (res.rule, res.message) == ("read_only",
                                       "Cannot cancel orders: the terminal is in read-only mode")
    c = OrderCommands(Session(connected=False))
    res = c.execute(CancelAll())
    assert (res.rule, res.message) == ("not_connected",
                                       "Cannot cancel orders: not connected to TWS / IB Gateway")
    c = OrderCommands(s)
    c.halted = True
    res = c.execute(CancelAll())
    assert res.ok and sent(s) == [("cancel", 1)]


# ====================================================================== GlobalCancel

def test_global_cancel_sends_one_request_and_lists_working_orders(s):
    """GlobalCancel: session.global_cancel once; the result lists the working orders known."""
    add(s, order(1), order(2, status=OrderStatus.FILLED), order(3, client_id=8, inst=MSFT),
        order(4, status=OrderStatus.PENDING_CANCEL))
    j = ListJournal()
    res = OrderCommands(s, journal=j).execute(GlobalCancel())
    assert sent(s) == [("global",)]
    assert res.ok and res.rule == ""
    assert sorted(o.order_id for o in res.orders) == [1, 3, 4]
    assert res.order is None
    assert res.message == ("Global cancel sent: 3 working orders of every client and TWS known to "
                           "this session")
    (api,) = j.of("api")
    assert (api["call"], api["text"]) == ("reqGlobalCancel", "3 working orders known")


def test_global_cancel_one_working_order_in_singular(s):
    """One working order known: "1 working order"."""
    add(s, order(1))
    res = OrderCommands(s).execute(GlobalCancel())
    assert res.message == ("Global cancel sent: 1 working order of every client and TWS known to "
                           "this session")
    assert [o.order_id for o in res.orders] == [1]


def test_global_cancel_refusals_and_halt(s):
    """GlobalCancel: refused read-only / not connected (rule), allowed while halted."""
    res = OrderCommands(s, read_only=True).execute(GlobalCancel())
    assert (res.rule, res.message) == (
        "read_only", "Cannot send a global cancel: the terminal is in read-only mode")
    res = OrderCommands(Session(connected=False)).execute(GlobalCancel())
    assert (res.rule, res.message) == (
        "not_connected", "Cannot send a global cancel: not connected to TWS / IB Gateway")
    assert sent(s) == []
    c = OrderCommands(s)
    c.halted = True
    assert c.execute(GlobalCancel()).ok and sent(s) == [("global",)]


# ====================================================================== Flatten

@pytest.mark.parametrize("qty, expected", [
    (1, ("place", Action.SELL, 1, OrderType.MKT, None, "AAPL")),
    (-300, ("place", Action.BUY, 300, OrderType.MKT, None, "AAPL")),
])
def test_flatten_mkt_one_order_on_the_other_side(s, qty, expected):
    """Flatten MKT: +1 -> SELL 1; -300 -> BUY 300 (market order)."""
    positions(s, position(AAPL, qty))
    res = OrderCommands(s).execute(Flatten(AAPL.key))
    assert sent(s) == [expected]
    act = "SELL" if qty > 0 else "BUY"
    assert res.ok and res.message == f"1 closing order placed: {act} {abs(qty)} AAPL MKT DAY"
    assert res.order is not None and res.order.order_id == 100


def test_flatten_marketable_limit_buy_to_cover_off_the_ask(s):
    """Flatten LMT of a short: BUY at ask + flatten_ticks ticks."""
    positions(s, position(AAPL, -50))
    quote(s, AAPL, bid=187.49, ask=187.51)
    res = OrderCommands(s, limits=RiskLimits(flatten_ticks=3)).execute(Flatten(AAPL.key, "LMT"))
    assert sent(s) == [("place", Action.BUY, 50, OrderType.LMT, 187.54, "AAPL")]
    assert res.ok and res.message == "1 closing order placed: BUY 50 AAPL LMT 187.54 DAY"


def test_flatten_marketable_limit_sell_off_the_bid_fx(s):
    """Flatten LMT of a long EUR.USD: SELL at bid - ticks, on the 0.00005 tick."""
    positions(s, position(EURUSD, 25_000))
    quote(s, EURUSD, bid=1.08515, ask=1.0852)
    res = OrderCommands(s, limits=RiskLimits(flatten_ticks=2)).execute(Flatten(EURUSD.key, "LMT"))
    assert sent(s) == [("place", Action.SELL, 25_000, OrderType.LMT, 1.08505, "EUR.USD")]
    assert res.ok


def test_flatten_no_quote_side_refused(s):
    """Flatten LMT without the needed side -> rule no_quote, nothing sent."""
    positions(s, position(AAPL, -50), position(MSFT, 10))
    quote(s, AAPL, bid=187.49)
    quote(s, MSFT, ask=401.0, last=400.5)
    c = OrderCommands(s)
    for key in (AAPL.key, MSFT.key, None):
        res = c.execute(Flatten(key, "LMT"))
        assert (res.ok, res.rule) == (False, "no_quote")
    assert sent(s) == []


def test_flatten_sell_limit_not_positive_refused(s):
    """Flatten LMT of a penny stock whose bid - ticks is 0 -> no_quote."""
    positions(s, position(AAPL, 10))
    quote(s, AAPL, bid=0.05, ask=0.06)
    res = OrderCommands(s, limits=RiskLimits(flatten_ticks=5)).execute(Flatten(AAPL.key, "LMT"))
    assert (res.ok, res.rule) == (False, "no_quote") and sent(s) == []


def test_flatten_unknown_style_is_invalid_order_even_without_position(s):
    """An unknown style is refused as invalid_order before looking at positions."""
    c = OrderCommands(s)
    res = c.execute(Flatten(AAPL.key, "STP"))
    assert (res.rule, res.message) == ("invalid_order", "Unknown flatten style 'STP': use MKT or LMT")
    positions(s, position(AAPL, 10))
    assert c.execute(Flatten(None, "mkt")).rule == "invalid_order"
    assert sent(s) == []


def test_flatten_without_position(s):
    """Nothing to flatten -> rule no_position (message names the symbol when given)."""
    positions(s, position(MSFT, 5, OTHER_ACCOUNT))
    c = OrderCommands(s)
    res = c.execute(Flatten())
    assert (res.rule, res.message) == ("no_position", "No open position to flatten")
    res = c.execute(Flatten(MSFT.key))
    assert (res.rule, res.message) == ("no_position", "No open position in MSFT to flatten")
    assert sent(s) == []


def test_flatten_ignores_other_accounts_and_nets_rows(s):
    """Rows of another account are not flattened and do not stop the scan; rows of one
    instrument in the session's account are netted (+100 and -40 -> SELL 60)."""
    positions(s, position(AAPL, 700, OTHER_ACCOUNT), position(AAPL, 100),
              position(MSFT, -20, OTHER_ACCOUNT), position(AAPL, -40), position(MSFT, 30))
    res = OrderCommands(s).execute(Flatten())
    assert sent(s) == [("place", Action.SELL, 60, OrderType.MKT, None, "AAPL"),
                       ("place", Action.SELL, 30, OrderType.MKT, None, "MSFT")]
    assert res.ok and res.order is None
    assert res.message == ("2 closing orders placed: SELL 60 AAPL MKT DAY; SELL 30 MSFT MKT DAY")


def test_flatten_session_without_account_id_takes_every_row():
    """A session without ``account_id`` flattens the rows of every account."""

    class NoAccount:
        client_id, is_connected = 1, True

        def __init__(self):
            self.calls = []

        def orders(self):
            return []

        def positions(self):
            return [position(AAPL, 5, "DU1"), position(AAPL, 7, "DU2")]

        def place_order(self, req):
            self.calls.append(("place_order", (req,)))
            return order(1, inst=req.instrument, qty=req.quantity, action=req.action)

    sess = NoAccount()
    res = OrderCommands(sess).execute(Flatten(AAPL.key))
    assert res.ok and sent(sess) == [("place", Action.SELL, 12, OrderType.MKT, None, "AAPL")]


def test_flatten_several_instruments_one_order_each(s):
    """Flatten every position: one order per instrument, in position order."""
    positions(s, position(MSFT, -25), position(EURUSD, 20_000), position(AAPL, 40))
    res = OrderCommands(s).execute(Flatten())
    assert sent(s) == [("place", Action.BUY, 25, OrderType.MKT, None, "MSFT"),
                       ("place", Action.SELL, 20_000, OrderType.MKT, None, "EUR.USD"),
                       ("place", Action.SELL, 40, OrderType.MKT, None, "AAPL")]
    assert res.ok and [o.order_id for o in res.orders] == [100, 101, 102]


def test_flatten_skips_size_position_and_rate_limits(s, clock):
    """Max quantity / notional / position / rate limits are not applied to Flatten."""
    limits = RiskLimits(max_order_quantity=Limit(True, 10, True),
                        max_order_notional=Limit(True, 100, True),
                        max_position=Limit(True, 1, True),
                        max_orders_per_minute=Limit(True, 1, True))
    positions(s, position(AAPL, 500), position(MSFT, -300))
    quote(s, AAPL, bid=187.49, ask=187.51)
    quote(s, MSFT, bid=400.0, ask=400.02)
    res = OrderCommands(s, limits=limits, clock=clock).execute(Flatten(None, "LMT"))
    assert res.ok and sent(s) == [("place", Action.SELL, 500, OrderType.LMT, 187.44, "AAPL"),
                                  ("place", Action.BUY, 300, OrderType.LMT, 400.07, "MSFT")]


def test_flatten_marketable_limit_checked_against_price_band(s):
    """The price band applies to a marketable-limit Flatten (hard band refuses it)."""
    positions(s, position(AAPL, 100))
    quote(s, AAPL, bid=187.49, ask=187.51)
    limits = RiskLimits(price_band_ticks=Limit(True, 4, True), flatten_ticks=5)
    res = OrderCommands(s, limits=limits).execute(Flatten(AAPL.key, "LMT"))
    assert (res.ok, res.rule, res.soft) == (False, "price_band", False) and sent(s) == []
    limits = RiskLimits(price_band_ticks=Limit(True, 5, True), flatten_ticks=5)
    assert OrderCommands(s, limits=limits).execute(Flatten(AAPL.key, "LMT")).ok
    assert sent(s) == [("place", Action.SELL, 100, OrderType.LMT, 187.44, "AAPL")]


def test_flatten_duplicate_at_same_instant_refused(s, clock):
    """A second identical Flatten at the same instant is refused as duplicate_order."""
    positions(s, position(AAPL, 100))
    c = OrderCommands(s, limits=RiskLimits(duplicate_order=Limit(True, 2.0, True)), clock=clock)
    assert c.execute(Flatten(AAPL.key)).ok
    res = c.execute(Flatten(AAPL.key))
    assert (res.ok, res.rule, res.soft) == (False, "duplicate_order", False)
    clock.t += 2.0
    assert c.execute(Flatten(AAPL.key)).ok
    assert sent(s) == [("place", Action.SELL, 100, OrderType.MKT, None, "AAPL")] * 2


@pytest.mark.parametrize("command, qty", [(Flatten, 100), (Reverse, 200)])
def test_soft_duplicate_flatten_or_reverse_passes_with_override(s, clock, command, qty):
    """A Flatten or a double-clicked Reverse at the same instant is refused as a soft
    duplicate and sent after an override (journalled)."""
    positions(s, position(AAPL, 100))
    j = ListJournal()
    c = OrderCommands(s, limits=RiskLimits(duplicate_order=Limit(True, 2.0, False)), clock=clock,
                      journal=j)
    assert c.execute(command(AAPL.key)).ok
    res = c.execute(command(AAPL.key))
    assert (res.ok, res.rule, res.soft) == (False, "duplicate_order", True)
    res = c.execute(command(AAPL.key), override=True)
    assert res.ok
    assert [f["rule"] for f in j.of("override")] == ["duplicate_order"]
    assert len(sent(s)) == 2
    assert sent(s) == [("place", Action.SELL, qty, OrderType.MKT, None, "AAPL")] * 2


def test_flatten_refusals_and_allowed_while_halted(s):
    """Flatten: read-only / not connected refused by rule; allowed while halted."""
    positions(s, position(AAPL, 10))
    res = OrderCommands(s, read_only=True).execute(Flatten())
    assert (res.rule, res.message) == ("read_only", "Cannot flatten: the terminal is in read-only mode")
    res = OrderCommands(Session(connected=False)).execute(Flatten())
    assert (res.rule, res.message) == ("not_connected",
                                       "Cannot flatten: not connected to TWS / IB Gateway")
    c = OrderCommands(s)
    c.halted = True
    assert c.execute(Flatten()).ok
    assert sent(s) == [("place", Action.SELL, 10, OrderType.MKT, None, "AAPL")]


def test_flatten_session_failure_reported(s):
    """A closing order the session refuses: ok False, the problem in the message."""
    positions(s, position(AAPL, 10), position(MSFT, 5))
    s.fail_place["AAPL"] = ConnectionError("not connected")
    res = OrderCommands(s).execute(Flatten())
    assert res.ok is False
    assert res.message == ("1 closing order placed: SELL 10 AAPL MKT DAY; SELL 5 MSFT MKT DAY "
                           "(1 problem: SELL 10 AAPL MKT DAY: not connected)")
    assert [o.instrument for o in res.orders] == [MSFT]


# ====================================================================== Reverse

@pytest.mark.parametrize("qty, expected, text", [
    (100, ("place", Action.SELL, 200, OrderType.MKT, None, "AAPL"), "SELL 200 AAPL MKT DAY"),
    (-100, ("place", Action.BUY, 200, OrderType.MKT, None, "AAPL"), "BUY 200 AAPL MKT DAY"),
])
def test_reverse_sends_twice_the_position_the_other_way(s, qty, expected, text):
    """Reverse: +100 -> SELL 200 MKT; -100 -> BUY 200 MKT; only the instrument asked for."""
    positions(s, position(MSFT, 30), position(AAPL, qty), position(NVDA, -5))
    quote(s, AAPL, bid=187.49, ask=187.51)
    res = OrderCommands(s).execute(Reverse(AAPL.key))
    assert sent(s) == [expected]
    assert res.ok and res.message == f"1 reversing order placed: {text}"


def test_reverse_skips_max_position_only(s):
    """Reverse: max position not applied, max order quantity is."""
    positions(s, position(AAPL, 100))
    ok = OrderCommands(s, limits=RiskLimits(max_position=Limit(True, 50, True)))
    assert ok.execute(Reverse(AAPL.key)).ok
    big = OrderCommands(s, limits=RiskLimits(max_order_quantity=Limit(True, 199, True)))
    assert big.execute(Reverse(AAPL.key)).rule == "max_order_quantity"
    assert OrderCommands(s, limits=RiskLimits(max_order_quantity=Limit(True, 200, True))).execute(
        Reverse(AAPL.key)).ok
    assert len(sent(s)) == 2


def test_reverse_rate_limit_counts_its_order(s, clock):
    """Reverse passes the rate limit: at the limit minus one it goes, at the limit it is refused."""
    positions(s, position(AAPL, 100))
    c = OrderCommands(s, limits=RiskLimits(max_orders_per_minute=Limit(True, 2, True)), clock=clock)
    assert c.execute(Reverse(AAPL.key)).ok
    clock.t += 1.0
    assert c.execute(Reverse(AAPL.key)).ok
    clock.t += 1.0
    res = c.execute(Reverse(AAPL.key))
    assert (res.ok, res.rule) == (False, "max_orders_per_minute")
    assert len(sent(s)) == 2


def test_reverse_of_every_position_counts_each_order_for_the_rate_limit(s, clock):
    """Reverse without a key turns every position; each of its orders counts for the rate limit
    (two allowed a minute: a third position refuses the whole command, nothing sent)."""
    positions(s, position(AAPL, 100), position(MSFT, -10))
    c = OrderCommands(s, limits=RiskLimits(max_orders_per_minute=Limit(True, 2, True)), clock=clock)
    assert c.execute(Reverse(None)).ok
    assert sent(s) == [("place", Action.SELL, 200, OrderType.MKT, None, "AAPL"),
                       ("place", Action.BUY, 20, OrderType.MKT, None, "MSFT")]
    s.calls.clear()
    clock.t += 61.0
    positions(s, position(AAPL, 100), position(MSFT, -10), position(NVDA, 5))
    res = c.execute(Reverse(None))
    assert (res.ok, res.rule) == (False, "max_orders_per_minute") and sent(s) == []


def test_reverse_refusals(s):
    """Reverse: read-only, halted, not connected, no position refused by rule."""
    positions(s, position(AAPL, 100))
    res = OrderCommands(s, read_only=True).execute(Reverse(AAPL.key))
    assert (res.rule, res.message) == ("read_only",
                                       "Cannot reverse a position: the terminal is in read-only mode")
    c = OrderCommands(s)
    c.halted = True
    res = c.execute(Reverse(AAPL.key))
    assert (res.rule, res.message) == ("halted", "Cannot reverse a position: trading is halted by "
                                       "the kill switch (resume trading first)")
    res = OrderCommands(Session(connected=False)).execute(Reverse(AAPL.key))
    assert (res.rule, res.message) == ("not_connected",
                                       "Cannot reverse a position: not connected to TWS / IB Gateway")
    res = OrderCommands(s).execute(Reverse(MSFT.key))
    assert (res.rule, res.message) == ("no_position", "No open position in conId 272093 to reverse")
    assert sent(s) == []


# ====================================================================== KillSwitch

def test_kill_switch_read_only_refused(s):
    """KillSwitch while read-only -> rule read_only; not halted, nothing sent."""
    add(s, order(1))
    c = OrderCommands(s, read_only=True)
    res = c.execute(KillSwitch(flatten=True))
    assert (res.ok, res.rule, res.soft) == (False, "read_only", False)
    assert res.message == ("Cannot use the kill switch's cancels: the terminal is in read-only "
                           "mode (no order was working through it)")
    assert not c.halted and sent(s) == []


def test_kill_switch_not_connected_still_halts(s):
    """Not connected: the kill switch halts (journal kill_switch engaged), says so, sends nothing."""
    sess = Session(connected=False)
    add(sess, order(1))
    positions(sess, position(AAPL, 10))
    j = ListJournal()
    c = OrderCommands(sess, journal=j)
    res = c.execute(KillSwitch(flatten=True))
    assert c.halted is True and res.ok is True
    assert sent(sess) == []
    assert res.message == ("Trading halted, cancel sent for 0 orders, 0 closing orders placed "
                           "(1 problem: not connected: no cancels or closing orders sent)")
    ks = j.of("kill_switch")
    assert [(f["engaged"], f.get("flatten"), f["text"]) for f in ks] == [
        (True, None, "trading halted"),
        (True, True, "Kill switch: halt trading, cancel every working order and flatten every "
                     "position")]
    assert res.orders == () and res.order is None


def test_kill_switch_cancels_every_working_order_of_this_client(s):
    """Cancels own working orders (PreSubmitted, Submitted, PendingSubmit, ApiPending, modify in
    flight) oldest first; not other clients', finished, stale or already-cancelling ones."""
    add(s, order(11, status=OrderStatus.PRE_SUBMITTED), order(4, status=OrderStatus.SUBMITTED),
        order(7, status=OrderStatus.PENDING_SUBMIT), order(2, status=OrderStatus.API_PENDING),
        order(5, client_id=3), order(6, client_id=0), order(9, status=OrderStatus.FILLED),
        order(10, status=OrderStatus.CANCELLED), order(12), order(13), order(14),
        order(15, status=OrderStatus.PENDING_CANCEL))
    s.stale = {12}
    s.in_flight = {13: "cancel", 14: "modify"}
    j = ListJournal()
    c = OrderCommands(s, journal=j)
    res = c.execute(KillSwitch())
    assert sent(s) == [("cancel", 2), ("cancel", 4), ("cancel", 7), ("cancel", 11), ("cancel", 14)]
    assert c.halted and res.ok
    assert res.message == "Trading halted, cancel sent for 5 orders"
    assert [f["call"] for f in j.of("api")] == ["cancelOrder"] * 5
    ks = j.of("kill_switch")
    assert [(f["engaged"], f.get("flatten")) for f in ks] == [(True, None), (True, False)]


def test_kill_switch_with_nothing_working(s):
    """No working order and no flatten: halted, "cancel sent for 0 orders", nothing sent."""
    c = OrderCommands(s)
    res = c.execute(KillSwitch())
    assert res.ok and c.halted and sent(s) == []
    assert res.message == "Trading halted, cancel sent for 0 orders"


def test_kill_switch_flatten_without_positions_is_no_problem(s):
    """KillSwitch(flatten) without positions: no closing order and no problem reported."""
    add(s, order(1), order(2))
    res = OrderCommands(s).execute(KillSwitch(flatten=True))
    assert sent(s) == [("cancel", 1), ("cancel", 2)]
    assert res.ok and res.message == "Trading halted, cancel sent for 2 orders, 0 closing orders placed"


def test_kill_switch_flatten_one_mkt_order_per_instrument(s):
    """KillSwitch(flatten): cancels first, then one MKT closing order per instrument."""
    add(s, order(3), order(1, inst=MSFT))
    positions(s, position(AAPL, 40), position(MSFT, -25), position(AAPL, 2),
              position(NVDA, 9, OTHER_ACCOUNT))
    quote(s, AAPL, bid=187.49, ask=187.51)
    res = OrderCommands(s).execute(KillSwitch(flatten=True))
    assert sent(s) == [("cancel", 1), ("cancel", 3),
                       ("place", Action.SELL, 42, OrderType.MKT, None, "AAPL"),
                       ("place", Action.BUY, 25, OrderType.MKT, None, "MSFT")]
    assert res.ok
    assert res.message == ("Trading halted, cancel sent for 2 orders, 2 closing orders placed: "
                           "SELL 42 AAPL MKT DAY; BUY 25 MSFT MKT DAY")
    assert [o.order_id for o in res.orders] == [1, 3, 100, 101] and res.order is None


def test_kill_switch_one_refused_closing_order_does_not_stop_the_others(s):
    """An invalid closing order (0.5 AAPL shares) is reported as a problem; the others go; ok."""
    positions(s, position(AAPL, 0.5), position(MSFT, -25), position(EURUSD, 20_000))
    res = OrderCommands(s).execute(KillSwitch(flatten=True))
    assert sent(s) == [("place", Action.BUY, 25, OrderType.MKT, None, "MSFT"),
                       ("place", Action.SELL, 20_000, OrderType.MKT, None, "EUR.USD")]
    assert res.ok is True
    assert res.message == (
        "Trading halted, cancel sent for 0 orders, 2 closing orders placed: BUY 25 MSFT MKT DAY; "
        "SELL 20,000 EUR.USD MKT DAY (1 problem: Cannot place order: Stock quantity must be whole "
        "shares, got 0.5)")


def test_kill_switch_hard_rule_refusal_reported_others_sent(s, clock):
    """A closing order refused by a hard rule (duplicate) is a problem; the rest still go."""
    positions(s, position(AAPL, 40), position(MSFT, 10))
    c = OrderCommands(s, limits=RiskLimits(duplicate_order=Limit(True, 5.0, True)), clock=clock)
    assert c.execute(Flatten(AAPL.key)).ok
    s.fill(100, price=187.5)             # filled; the position report has not caught up yet
    clock.t += 1.0
    res = c.execute(KillSwitch(flatten=True))
    assert sent(s) == [("place", Action.SELL, 40, OrderType.MKT, None, "AAPL"),
                       ("place", Action.SELL, 10, OrderType.MKT, None, "MSFT")]
    assert res.ok and c.halted
    assert res.message == ("Trading halted, cancel sent for 0 orders, 1 closing order placed: "
                           "SELL 10 MSFT MKT DAY (1 problem: Same order as one sent 1.0 s ago "
                           "(SELL 40 AAPL MKT DAY); duplicates within 5 s are refused)")


def test_kill_switch_replaces_the_closing_order_it_cancelled(s, clock):
    """A Flatten order still working when the kill switch cancels it is replaced by the kill
    switch's own closing order, also with a hard duplicate limit."""
    positions(s, position(AAPL, 40))
    c = OrderCommands(s, limits=RiskLimits(duplicate_order=Limit(True, 5.0, True)), clock=clock)
    assert c.execute(Flatten(AAPL.key)).ok
    clock.t += 1.0
    res = c.execute(KillSwitch(flatten=True))
    assert sent(s) == [("place", Action.SELL, 40, OrderType.MKT, None, "AAPL"), ("cancel", 100),
                       ("place", Action.SELL, 40, OrderType.MKT, None, "AAPL")]
    assert res.message == ("Trading halted, cancel sent for 1 order, 1 closing order placed: "
                           "SELL 40 AAPL MKT DAY")


@pytest.mark.parametrize("hard", [True, False])
def test_kill_switch_replaces_a_cancelled_closing_order_but_never_closes_twice(s, clock, hard):
    """With a hard or a soft duplicate limit, the kill switch replaces an earlier Flatten order
    it cancels, but does not override the duplicate of one that filled (its position not yet
    reported): no second SELL that would open a short; the refusal is reported."""
    positions(s, position(AAPL, 40), position(MSFT, 10))
    j = ListJournal()
    c = OrderCommands(s, limits=RiskLimits(duplicate_order=Limit(True, 5.0, hard)), clock=clock,
                      journal=j)
    assert c.execute(Flatten(AAPL.key)).ok       # order 100, still working
    assert c.execute(Flatten(MSFT.key)).ok       # order 101
    s.fill(101, price=410.0)                     # filled; the position report has not caught up
    res = c.execute(KillSwitch(flatten=True))    # the same clock instant
    assert sent(s) == [("place", Action.SELL, 40, OrderType.MKT, None, "AAPL"),
                       ("place", Action.SELL, 10, OrderType.MKT, None, "MSFT"),
                       ("cancel", 100),
                       ("place", Action.SELL, 40, OrderType.MKT, None, "AAPL")]
    assert res.ok and c.halted
    assert res.message == ("Trading halted, cancel sent for 1 order, 1 closing order placed: "
                           "SELL 40 AAPL MKT DAY (1 problem: Same order as one sent 0.0 s ago "
                           "(SELL 10 MSFT MKT DAY); duplicates within 5 s are refused)")
    assert j.of("override") == []


def test_kill_switch_session_failures_reported_result_ok(s):
    """Cancels or closing orders the session refuses: listed as problems; the result is ok."""
    add(s, order(1), order(2))
    positions(s, position(AAPL, 40), position(MSFT, 5))
    s.fail_cancel[1] = ConnectionError("lost")
    s.fail_place["AAPL"] = ValueError("refused")
    c = OrderCommands(s)
    res = c.execute(KillSwitch(flatten=True))
    assert res.ok is True and c.halted
    assert sent(s) == [("cancel", 1), ("cancel", 2),
                       ("place", Action.SELL, 40, OrderType.MKT, None, "AAPL"),
                       ("place", Action.SELL, 5, OrderType.MKT, None, "MSFT")]
    assert res.message == ("Trading halted, cancel sent for 1 order, 1 closing order placed: "
                           "SELL 40 AAPL MKT DAY; SELL 5 MSFT MKT DAY "
                           "(2 problems: lost; SELL 40 AAPL MKT DAY: refused)")
    assert [o.order_id for o in res.orders] == [2, 100] and res.order is None


def test_kill_switch_one_order_sent_is_the_result_order(s):
    """Exactly one record sent: it is the result's ``order``."""
    add(s, order(8))
    res = OrderCommands(s).execute(KillSwitch())
    assert res.order is not None and res.order.order_id == 8


def test_after_kill_switch_cancels_and_flatten_allowed_reverse_refused(s):
    """While halted: CancelAll, GlobalCancel and Flatten allowed; Reverse and new orders refused."""
    c = OrderCommands(s)
    assert c.execute(KillSwitch()).ok
    add(s, order(1))
    positions(s, position(AAPL, 10))
    assert c.execute(CancelAll()).ok
    assert c.execute(GlobalCancel()).ok
    assert c.execute(Flatten()).ok
    assert c.execute(Reverse(AAPL.key)).rule == "halted"
    req = OrderRequest(AAPL, Action.BUY, 1, OrderType.MKT)
    assert c.execute(PlaceOrder(req)).rule == "halted"
    assert sent(s) == [("cancel", 1), ("global",),
                       ("place", Action.SELL, 10, OrderType.MKT, None, "AAPL")]


@pytest.mark.parametrize("tp_cancelled_first", [False, True])
def test_kill_switch_replaces_a_bracket_entry_it_cancels(s, clock, tp_cancelled_first):
    """A working bracket whose entry is the same order as a closing one (SELL 40 AAPL MKT
    against a long 40) is cancelled by the kill switch and its closing order still goes,
    also with a hard duplicate limit, and also when the take-profit leg was cancelled by
    the trader before (the entry's orderId is what the duplicate guard remembers)."""
    from app.commands import CancelOrder, PlaceBracket
    positions(s, position(AAPL, 40))
    c = OrderCommands(s, limits=RiskLimits(duplicate_order=Limit(True, 5.0, True)), clock=clock)
    entry = OrderRequest(AAPL, Action.SELL, 40, OrderType.MKT)
    res = c.execute(PlaceBracket(entry, take_profit=150.0, stop_loss=200.0))
    assert [r.order_id for r in res.orders] == [100, 101, 102]
    for oid in (100, 101, 102):
        s.submit(oid)
    if tp_cancelled_first:
        assert c.execute(CancelOrder(101)).ok
        s.confirm_cancel(101)
    res = c.execute(KillSwitch(flatten=True))
    cancels = [x for x in sent(s) if x[0] == "cancel"]
    assert cancels == ([("cancel", 101), ("cancel", 100), ("cancel", 102)] if tp_cancelled_first
                       else [("cancel", 100), ("cancel", 101), ("cancel", 102)])
    assert sent(s)[-1] == ("place", Action.SELL, 40, OrderType.MKT, None, "AAPL")
    assert res.ok and "problem" not in res.message


def test_bulk_result_is_logged(s, caplog):
    """The result of a bulk command is written to the log file as it reads in the UI."""
    import logging
    add(s, order(1), order(2, inst=MSFT))
    c = OrderCommands(s)
    with caplog.at_level(logging.INFO, logger="ibdesk.commands"):
        res = c.execute(CancelAll())
    assert res.message == "Cancel sent for 2 orders"
    assert [r.getMessage() for r in caplog.records if r.name == "ibdesk.commands"] == [res.message]
