"""The words of every order command (app/commands/intents.py): what the confirmation dialog,
the result message and the journal show the trader before and after a command."""

from __future__ import annotations

from dataclasses import FrozenInstanceError
from datetime import datetime, timezone

import pytest

from app.commands.intents import (
    CancelAll,
    CancelOrder,
    CommandResult,
    Flatten,
    GlobalCancel,
    KillSwitch,
    ModifyOrder,
    PlaceBracket,
    PlaceOrder,
    Reverse,
    _symbol_of,
    describe_change,
    describe_command,
)
from app.domain import Action, Instrument, OrderRecord, OrderRequest, OrderStatus, OrderType, Position, TimeInForce
from tests.fakes import CONTRACTS

AAPL, MSFT, EURUSD = CONTRACTS["AAPL"], CONTRACTS["MSFT"], CONTRACTS["EUR.USD"]
TSLA = Instrument("TSLA", "STK", "SMART", "USD", "NASDAQ", 76792991, 0.01, "TSLA", "Tesla")
T0 = datetime(2026, 3, 9, 14, 30, tzinfo=timezone.utc)


def rec(order_id, client_id, inst, status=OrderStatus.SUBMITTED) -> OrderRecord:
    return OrderRecord(order_id, 770_000 + order_id, client_id, inst, Action.BUY, 100.0, OrderType.LMT,
                       150.0, None, "DAY", status, created=T0, updated=T0, account="DU111111")


class Session:
    """The part of the Session contract the descriptions read."""

    def __init__(self, client_id=1, orders=(), positions=()):
        self.client_id = client_id
        self._orders = list(orders)
        self._positions = list(positions)

    def orders(self):
        return list(self._orders)

    def positions(self):
        return list(self._positions)


def pos(inst, qty, account="DU111111") -> Position:
    return Position(account, inst, qty, 150.0)


@pytest.fixture
def session():
    """Client 1 with working AAPL orders 1 and 2, a PreSubmitted EUR.USD order 3, a filled AAPL
    order 4, a working AAPL order 9 of client 7 and a PendingCancel MSFT order 5; positions
    long AAPL in two accounts, short EUR.USD, flat MSFT."""
    return Session(1, orders=[
        rec(1, 1, AAPL), rec(2, 1, AAPL), rec(3, 1, EURUSD, OrderStatus.PRE_SUBMITTED),
        rec(4, 1, AAPL, OrderStatus.FILLED), rec(9, 7, AAPL), rec(5, 1, MSFT, OrderStatus.PENDING_CANCEL),
    ], positions=[pos(AAPL, 100), pos(AAPL, 50, "DU222222"), pos(EURUSD, -20000), pos(MSFT, 0)])


LMT = OrderRequest(AAPL, Action.BUY, 100, OrderType.LMT, 187.5)


# --- single orders ---------------------------------------------------------------------------

def test_place_order_is_the_request_in_words():
    """PlaceOrder reads as the request: "BUY 100 AAPL LMT 187.50 DAY"."""
    assert describe_command(PlaceOrder(LMT)) == "BUY 100 AAPL LMT 187.50 DAY"
    fx = OrderRequest(EURUSD, Action.SELL, 25000, OrderType.STP, None, 1.0995, TimeInForce.GTC)
    assert describe_command(PlaceOrder(fx)) == "SELL 25,000 EUR.USD STP stop 1.09950 GTC"


@pytest.mark.parametrize("tp, sl, text", [
    (190.0, 185.25, "Bracket: BUY 100 AAPL LMT 187.50 DAY, take profit 190, stop loss 185.25"),
    (190.05, None, "Bracket: BUY 100 AAPL LMT 187.50 DAY, take profit 190.05"),
    (None, 185.0, "Bracket: BUY 100 AAPL LMT 187.50 DAY, stop loss 185"),
    (None, None, "Bracket: BUY 100 AAPL LMT 187.50 DAY"),
])
def test_bracket_names_its_take_profit_and_stop_loss(tp, sl, text):
    """A bracket: the entry, then the take-profit and stop-loss prices that are set."""
    assert describe_command(PlaceBracket(LMT, take_profit=tp, stop_loss=sl)) == text


def test_bracket_fx_prices_are_written_in_full():
    """FX bracket prices keep every decimal (1.10005, not 1.1)."""
    req = OrderRequest(EURUSD, Action.SELL, 20000, OrderType.MKT)
    assert describe_command(PlaceBracket(req, take_profit=1.09505, stop_loss=1.10005)) == (
        "Bracket: SELL 20,000 EUR.USD MKT DAY, take profit 1.09505, stop loss 1.10005")


@pytest.mark.parametrize("cmd, text", [
    (ModifyOrder(12, quantity=200), "Modify order 12: quantity 200"),
    (ModifyOrder(12, limit_price=151.5), "Modify order 12: limit 151.5"),
    (ModifyOrder(12, stop_price=149.0), "Modify order 12: stop 149"),
    (ModifyOrder(12, 300.0, 151.55, 149.05), "Modify order 12: quantity 300, limit 151.55, stop 149.05"),
    (ModifyOrder(12), "Modify order 12: "),
])
def test_modify_names_only_the_changed_values(cmd, text):
    """A modification lists quantity, limit and stop in that order, only those given."""
    assert describe_command(cmd) == text


def test_modify_values_are_never_rounded():
    """Large quantities, 5-digit prices and FX ticks are written exactly (no 6-digit rounding)."""
    assert describe_change(ModifyOrder(12, 1_234_567, 10_234.55, 0.00005)) == (
        "quantity 1234567, limit 10234.55, stop 0.00005")
    assert describe_change(ModifyOrder(3, 20000.5, 1.10005)) == "quantity 20000.5, limit 1.10005"


def test_modify_with_malformed_values_is_still_described():
    """Text, bool or NaN values (an unchecked command) are written as they are, not a crash."""
    assert describe_change(ModifyOrder(12, "200", True, float("nan"))) == "quantity '200', limit True, stop NaN"


def test_cancel_order_text():
    """CancelOrder: "Cancel order 12"."""
    assert describe_command(CancelOrder(12)) == "Cancel order 12"


# --- bulk commands ---------------------------------------------------------------------------

def test_cancel_all_without_session_is_generic():
    """No session: "Cancel all working orders of this client" (of the symbol's conId when given)."""
    assert describe_command(CancelAll()) == "Cancel all working orders of this client"
    assert describe_command(CancelAll("265598")) == "Cancel all working orders of conId 265598 of this client"


def test_cancel_all_counts_own_working_orders(session):
    """With a session: own working orders only (not filled, not another client's), PendingCancel counts."""
    assert describe_command(CancelAll(), session) == "Cancel all 4 working orders"
    assert describe_command(CancelAll("265598"), session) == "Cancel all 2 working orders of AAPL"
    assert describe_command(CancelAll("12087792"), session) == "Cancel 1 working order of EUR.USD"
    assert describe_command(CancelAll("76792991"), session) == "Cancel 0 working orders of conId 76792991"


def test_cancel_all_for_another_client_id(session):
    """Counted for the session's own client id: client 7 has one working order."""
    session.client_id = 7
    assert describe_command(CancelAll(), session) == "Cancel 1 working order"


def test_global_cancel_text(session):
    """GlobalCancel: every client's and TWS's working orders; generic without a session."""
    assert describe_command(GlobalCancel()) == "Global cancel: every open order of every client and of TWS"
    assert describe_command(GlobalCancel(), session) == "Global cancel: all 5 working orders of every client and of TWS"
    one = Session(1, orders=[rec(9, 0, TSLA), rec(4, 1, AAPL, OrderStatus.CANCELLED)])
    assert describe_command(GlobalCancel(), one) == "Global cancel: 1 working order of every client and of TWS"


def test_flatten_texts(session):
    """Flatten: market or marketable limit orders, one symbol or every non-flat position, named
    ("Flatten the MSFT position with a market order", never "all 1 position")."""
    assert describe_command(Flatten()) == "Flatten every position with market orders"
    assert describe_command(Flatten(style="LMT")) == "Flatten every position with marketable limit orders"
    assert describe_command(Flatten(), session) == "Flatten all 2 positions (AAPL, EUR.USD) with market orders"
    assert describe_command(Flatten("265598", "LMT"), session) == "Flatten AAPL with marketable limit orders"
    assert describe_command(Flatten("12087792"), session) == "Flatten EUR.USD with market orders"
    assert describe_command(Flatten("265598")) == "Flatten conId 265598 with market orders"
    single = Session(1, positions=[pos(MSFT, -300), pos(AAPL, 0)])
    assert describe_command(Flatten(), single) == "Flatten the MSFT position with a market order"
    assert describe_command(Flatten(style="MKT "), single) == "Flatten the MSFT position with a marketable limit order"
    flat = Session(1, positions=[pos(AAPL, 0)])
    assert describe_command(Flatten(), flat) == "Flatten 0 positions with market orders"


def test_reverse_text(session):
    """Reverse: the symbol's position, twice the other way, MKT."""
    assert describe_command(Reverse("265598"), session) == "Reverse the AAPL position (2x the other way, MKT)"
    assert describe_command(Reverse("12087792")) == "Reverse the conId 12087792 position (2x the other way, MKT)"


def test_kill_switch_text():
    """Kill switch: halt and cancel, and flatten when asked."""
    assert describe_command(KillSwitch()) == "Kill switch: halt trading, cancel every working order"
    assert describe_command(KillSwitch(flatten=True)) == (
        "Kill switch: halt trading, cancel every working order and flatten every position")


def test_unknown_command_is_its_repr():
    """Something that is not a command is described by its repr."""
    assert describe_command("launch") == "'launch'"
    assert describe_command(None) == "None"


# --- _symbol_of ------------------------------------------------------------------------------

def test_symbol_of_looks_in_positions_then_orders():
    """The display symbol from a position, else from an order, else "conId N"; None -> ""."""
    s = Session(1, orders=[rec(1, 1, TSLA), rec(2, 3, EURUSD)], positions=[pos(MSFT, 10)])
    assert _symbol_of("272093", s) == "MSFT"
    assert _symbol_of("76792991", s) == "TSLA"
    assert _symbol_of("12087792", s) == "EUR.USD"
    assert _symbol_of("265598", s) == "conId 265598"
    assert _symbol_of("265598", None) == "conId 265598"
    assert _symbol_of(None, s) == "" and _symbol_of(None, None) == ""


def test_symbol_of_prefers_the_position():
    """When a position and an order have the key, the position's instrument names it."""
    renamed = Instrument("AAPL.OLD", con_id=265598)
    s = Session(1, orders=[rec(1, 1, renamed)], positions=[pos(AAPL, 10)])
    assert _symbol_of("265598", s) == "AAPL"


# --- the command objects ---------------------------------------------------------------------

def test_command_defaults():
    """Defaults: nothing changed in a modify, every instrument, MKT flatten, no flatten on kill."""
    assert (ModifyOrder(5).quantity, ModifyOrder(5).limit_price, ModifyOrder(5).stop_price) == (None, None, None)
    assert CancelAll().instrument_key is None
    assert (Flatten().instrument_key, Flatten().style) == (None, "MKT")
    assert KillSwitch().flatten is False
    b = PlaceBracket(LMT)
    assert (b.take_profit, b.stop_loss) == (None, None)


def test_commands_are_frozen():
    """A command cannot be changed after the trader confirmed it."""
    with pytest.raises(FrozenInstanceError):
        ModifyOrder(5, 100).quantity = 200


def test_command_result_fields_and_defaults():
    """A result: ok and message; no order(s), no rule, not soft unless given."""
    r = CommandResult(True, "Placed order 101")
    assert (r.ok, r.message, r.order, r.orders, r.rule, r.soft) == (True, "Placed order 101", None, (), "", False)
    o = rec(1, 1, AAPL)
    r2 = CommandResult(False, "Cannot place", o, (o,), "price_band", True)
    assert (r2.order, r2.orders, r2.rule, r2.soft) == (o, (o,), "price_band", True)
