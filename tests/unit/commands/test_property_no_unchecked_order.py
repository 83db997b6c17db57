"""Properties: an order reaches the session exactly when every check passes.

``test_place_order_is_sent_exactly_when_every_check_passes``: Hypothesis draws the risk
limits (which are on, hard or soft, values including ones equal to an order's quantity,
notional or resulting position), the quotes of AAPL, MSFT and EUR.USD (two-sided, bid only,
ask only, last only, empty, none), the positions of the session's account and of another
account, the states (read-only, halted, disconnected) and a sequence of PlaceOrder commands
at real-sized monotonic clock values that stand still or move by 0.5, 2, 59.9, 60, 61 s or
more, with and without override (and the trader's confirmation after a soft refusal).
``test_a_limit_passes_at_its_value_and_fails_one_unit_beyond`` puts one order exactly at a
limit or one unit beyond it; ``test_modify_is_sent_exactly_when_the_order_it_becomes_passes``
does the same for ModifyOrder (the order it becomes, max position by the growth).

The oracle below is written from the documented rules (``OrderCommands.check``: order of
the rules; ``validate_order_request``: IB's order rules; ``RiskLimits`` and the ``check_*``
docstrings of ``app.commands.risk``) in exact decimal arithmetic, with its own history of
sent orders; it imports nothing from ``app.commands.risk``. For each command it says
"must be sent" or "must be refused by rule R (soft or hard)", and the test asserts exactly
that: a send is one ``place_order`` call with the trader's request, a refusal no call at
all and the rule the oracle names; an order every check passes that is refused fails the
test as much as an order sent past a failed check.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from decimal import Decimal, localcontext

import pytest
from hypothesis import HealthCheck, Phase, given, settings, strategies as st

from app.commands import (
    CommandRejected, Limit, ModifyOrder, OrderCommands, PlaceOrder, RiskLimits,
)
from app.domain import Action, OrderRequest, OrderType, Position, Quote
from tests.fakes import CONTRACTS, FakeSession

ACCOUNT = "DU1234567"    # FakeSession's account: orders go there, its positions count
OTHER = "DU7654321"      # another account of the same login: its positions never count
SYMBOLS = ("AAPL", "MSFT", "EUR.USD")
#: the instruments' minimum price variation (IB contract details), written down independently
TICK = {"AAPL": Decimal("0.01"), "MSFT": Decimal("0.01"), "EUR.USD": Decimal("0.00005")}
#: (bid, ask) levels a quote of each symbol is drawn from (penny, locked and wide markets)
BOOKS = {
    "AAPL": ((99.90, 100.10), (187.49, 187.51), (187.50, 187.50), (0.05, 0.06)),
    "MSFT": ((409.99, 410.01), (0.07, 0.09)),
    "EUR.USD": ((1.09995, 1.10005), (1.1, 1.10005), (1.25, 1.2501)),
}
QUOTE_KINDS = ("two-sided", "bid only", "ask only", "last only", "empty", "none")
#: two-sided quotes drawn as often as all the others together
QUOTE_KIND = st.sampled_from(QUOTE_KINDS[:1] * 5 + QUOTE_KINDS[1:])
#: price offsets in ticks from the bid / ask: band edges of 1, 2, 20 and 100 ticks and of
#: 1 % / 5 % around the books above (100.00 mid: 5 % = 500 ticks; 1.1 mid: 1 % = 220 ticks)
OFFSETS = (0, 1, -1, 2, -2, 3, -3, 20, -20, 21, -21, 100, -100, 101, -101, 220, -220, 221,
           -221, 500, -500, 501, -501, 1000, -1000)
ODD_PRICES = (None, math.nan, math.inf, -math.inf, 0.0, -0.01, True, 1e9, 999_999_999.99)
QUANTITIES = (1, 99, 100, 101, 200, 1000, 2000, 4900, 5000, 5001, 10_000, 25_000, 100_000)
ODD_QUANTITIES = (0, -100, 0.5, 100.5, math.nan, math.inf, True, 1e300)
CLOCK_STEPS = (0.0, 0.0, 0.001, 0.5, 1.9, 2.0, 2.1, 59.9, 60.0, 60.0, 60.5, 61.0, 3601.0)
#: under mutmut (MUTANT_UNDER_TEST set) the first failing example is reported unshrunk: the
#: mutant is killed by then, and shrinking it would take ~10 s per mutant
PHASES = (tuple(p for p in Phase if p not in (Phase.shrink, Phase.explain))
          if os.environ.get("MUTANT_UNDER_TEST") else tuple(settings.default.phases))
LIMIT_NAMES = ("max_order_quantity", "max_order_notional", "max_position", "max_fx_order_quantity",
               "max_fx_position", "max_future_order_quantity", "max_future_position", "price_band_percent", "price_band_ticks", "duplicate_order",
               "max_orders_per_minute")
#: FX pairs (secType CASH): their quantity and position meet the FX limits (base units)
FX_SYMBOLS = frozenset({"EUR.USD"})


def fx_limit(name: str, symbol: str) -> str:
    """The limit a quantity / position rule uses for ``symbol``: the FX one for a pair."""
    return name.replace("max_", "max_fx_", 1) if symbol in FX_SYMBOLS else name


def dec(x) -> Decimal:
    """A number as the trader wrote it (a float by its shortest repr, 187.51 not 187.509999...)."""
    return Decimal(repr(x)) if isinstance(x, float) else Decimal(x)


def is_number(x) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


@dataclass(frozen=True)
class Ticket:
    """The values of one order ticket (possibly invalid)."""

    symbol: str
    action: Action
    order_type: OrderType
    quantity: object
    limit_price: object = None
    stop_price: object = None
    oca_type: object = 0

    def request(self) -> OrderRequest:
        return OrderRequest(CONTRACTS[self.symbol], self.action, self.quantity, self.order_type,
                            limit_price=self.limit_price, stop_price=self.stop_price,
                            oca_type=self.oca_type)


@dataclass
class Oracle:
    """The rules as documented, in exact decimal arithmetic."""

    limits: dict[str, Limit]
    quotes: dict[str, tuple]          # symbol -> (bid, ask, last) as Decimal or None; absent: no quote
    positions: dict[str, Decimal]     # symbol -> the session account's position
    sent: list[tuple[Decimal, tuple]] = field(default_factory=list)   # (clock, signature)

    # IB's order rules (validate_order_request): quantity, OCA type, limit price, stop price
    @staticmethod
    def ib_rule(t: Ticket) -> str | None:
        q = t.quantity
        if not is_number(q) or q <= 0:
            return "invalid_order"
        if t.symbol != "EUR.USD" and q != int(q):       # whole shares for stocks
            return "invalid_order"
        if isinstance(t.oca_type, bool) or t.oca_type not in (0, 1, 2, 3):
            return "invalid_order"
        uses_limit = t.order_type in (OrderType.LMT, OrderType.STP_LMT)
        uses_stop = t.order_type in (OrderType.STP, OrderType.STP_LMT)
        for price, used in ((t.limit_price, uses_limit), (t.stop_price, uses_stop)):
            if not used:
                if price is not None:
                    return "invalid_order"
                continue
            if not is_number(price) or price <= 0 or price >= 1e9:
                return "invalid_order"
            steps = dec(price) / TICK[t.symbol]
            if abs(steps - steps.to_integral_value()) > Decimal("1e-6"):   # IB error 110
                return "tick_size"
        return None

    def _lim(self, name: str) -> tuple[bool, Decimal, bool]:
        lim = self.limits[name]
        return lim.enabled, dec(lim.value), lim.hard

    def notional_price(self, t: Ticket) -> Decimal | None:
        """Limit price (LMT, STP LMT); else the NBBO side the order trades against (ask for
        a buy, bid for a sell); a STP without that side: its stop price."""
        if t.order_type in (OrderType.LMT, OrderType.STP_LMT):
            return dec(t.limit_price)
        bid, ask, _last = self.quotes.get(t.symbol, (None, None, None))
        side = ask if t.action is Action.BUY else bid
        if side is None and t.order_type is OrderType.STP:
            return dec(t.stop_price)
        return side

    def quantity_rule(self, t: Ticket) -> list[tuple[str, bool]]:
        """Quantity <= the limit."""
        on, v, hard = self._lim(fx_limit("max_order_quantity", t.symbol))
        return [("max_order_quantity", not hard)] if on and dec(t.quantity) > v else []

    def notional_rule(self, t: Ticket) -> list[tuple[str, bool]]:
        """Quantity x notional price <= the limit (exactly, in decimal); no price to compute
        it: as hard as the limit."""
        on, v, hard = self._lim("max_order_notional")
        if not on:
            return []
        price = self.notional_price(t)
        if price is None:
            return [("max_order_notional", not hard)]
        if dec(t.quantity) * price > v:
            return [("max_order_notional", not hard)]
        return []

    def position_rule(self, t: Ticket) -> list[tuple[str, bool]]:
        """|position of the session's account + signed quantity| <= the limit, unless it
        makes |position| smaller."""
        on, v, hard = self._lim(fx_limit("max_position", t.symbol))
        if not on:
            return []
        q = dec(t.quantity)
        pos = self.positions.get(t.symbol, Decimal(0))
        new = pos + (q if t.action is Action.BUY else -q)
        return [("max_position", not hard)] if abs(new) > v and abs(new) > abs(pos) else []

    def band_rule(self, t: Ticket) -> list[tuple[str, bool]]:
        """Limit and stop prices within [bid - band, ask + band]; band = the wider of the
        enabled percent-of-mid and ticks x tick; hard only if every enabled one is hard."""
        pct_on, pct, pct_hard = self._lim("price_band_percent")
        ticks_on, ticks, ticks_hard = self._lim("price_band_ticks")
        prices = [dec(p) for p in (t.limit_price, t.stop_price) if p is not None]
        if not (pct_on or ticks_on) or not prices:
            return []
        soft = not all(h for on_, h in ((pct_on, pct_hard), (ticks_on, ticks_hard)) if on_)
        bid, ask, last = self.quotes.get(t.symbol, (None, None, None))
        if bid is None and ask is None:
            bid = ask = last
        bid = ask if bid is None else bid
        ask = bid if ask is None else ask
        if bid is None:
            return [("price_band", soft)]
        tick = TICK[t.symbol]
        mid = (bid + ask) / 2
        band = max(pct / 100 * mid if pct_on else Decimal(0),
                   ticks * tick if ticks_on else Decimal(0))
        tol = tick * Decimal("1e-6")      # the tick tolerance of is_on_tick
        if any(p < bid - band - tol or p > ask + band + tol for p in prices):
            return [("price_band", soft)]
        return []

    def duplicate_rule(self, t: Ticket, now: Decimal) -> list[tuple[str, bool]]:
        on, v, hard = self._lim("duplicate_order")
        sig = self.signature(t)
        if on and any(s == sig and 0 <= now - t0 < v for t0, s in self.sent):
            return [("duplicate_order", not hard)]
        return []

    def rate_rule(self, now: Decimal) -> list[tuple[str, bool]]:
        on, v, hard = self._lim("max_orders_per_minute")
        if on and sum(1 for t0, _ in self.sent if now - t0 < 60) + 1 > v:
            return [("max_orders_per_minute", not hard)]
        return []

    def risk_failures(self, t: Ticket, now: Decimal) -> list[tuple[str, bool]]:
        """Every failed pre-trade rule as (rule, soft), in the documented order."""
        return (self.quantity_rule(t) + self.notional_rule(t)
                + self.position_rule(t) + self.band_rule(t) + self.duplicate_rule(t, now)
                + self.rate_rule(now))

    @staticmethod
    def signature(t: Ticket) -> tuple:
        """Same symbol, side, quantity and prices: a duplicate."""
        return (t.symbol, t.action, dec(t.quantity),
                None if t.limit_price is None else dec(t.limit_price),
                None if t.stop_price is None else dec(t.stop_price))

    def decide(self, t: Ticket, now: Decimal, override: bool, *, read_only: bool, halted: bool,
               connected: bool) -> tuple[set[tuple], str]:
        """The outcome, as a one-element set: {("send",)} or {("refuse", rule, soft)}."""
        for on, rule in ((read_only, "read_only"), (halted, "halted"), (not connected, "not_connected")):
            if on:
                return {("refuse", rule, False)}, rule
        rule = self.ib_rule(t)
        if rule:
            return {("refuse", rule, False)}, rule
        failures = self.risk_failures(t, now)
        hard = [r for r, soft in failures if not soft]
        if hard:
            return {("refuse", hard[0], False)}, repr(failures)
        if failures and not override:
            return {("refuse", failures[0][0], True)}, repr(failures)
        return {("send",)}, repr(failures)


# --------------------------------------------------------------------- strategies

def weighted(*options):
    """One of the (weight, strategy) options, by weight."""
    flat = tuple(i for i, (w, _) in enumerate(options) for _ in range(w))
    return st.sampled_from(flat).flatmap(lambda i: options[i][1])


def rarely(common, rare, n: int = 20):
    """``rare`` about once in ``n`` draws (``one_of`` would pick either about half the time)."""
    flags = (False,) * (n // 2) + (True,) + (False,) * (n - n // 2 - 1)
    return st.sampled_from(flags).flatmap(lambda is_rare: rare if is_rare else common)


def band_edges(symbol: str, book: tuple, kind: str, pct: Limit, ticks: Limit) -> list[float]:
    """Prices at the edges of the band the enabled limits give around a ``kind`` quote of
    ``book``: at or just inside the edge, and one and two ticks outside."""
    tick = TICK[symbol]
    bid, ask = dec(book[0]), dec(book[1])
    lo, hi = {"bid only": (bid, bid), "ask only": (ask, ask), "last only": (bid, bid)}.get(kind, (bid, ask))
    pct_band = dec(pct.value) / 100 * (lo + hi) / 2
    bands = [b for b, lim in ((pct_band, pct), (dec(ticks.value) * tick, ticks)) if lim.enabled]
    k = max(bands, default=dec(ticks.value) * tick) / tick
    out = {p for n in (int(k), int(k) + 1, int(k) + 2) for p in (lo - n * tick, hi + n * tick)}
    return sorted(float(p) for p in out if p > 0)


def price_strategy(symbol: str, book: tuple, edges: list[float]):
    """Prices around the book in whole ticks, at the band's edges, sometimes off the tick or odd."""
    tick = TICK[symbol]

    def build(anchor, offset, frac):
        return float(dec(anchor) + (offset + frac) * tick)

    offsets = weighted((2, st.sampled_from((0, 1, -1, 2, -2, 3, -3))), (1, st.sampled_from(OFFSETS)))
    near = st.builds(build, st.sampled_from(book), offsets,
                     rarely(st.just(Decimal(0)), st.sampled_from((Decimal("0.5"), Decimal("0.3"))), 6))
    return weighted((5, near), (8, st.sampled_from(edges)), (1, st.sampled_from(ODD_PRICES)))


#: the order types the oracle knows (the trailing, auction and touch types have their own
#: rules, pinned in tests/unit/domain/test_order_types.py and tests/unit/commands)
PRICE_TYPES = [OrderType.MKT, OrderType.LMT, OrderType.STP, OrderType.STP_LMT]


@st.composite
def tickets(draw, symbol: str, book: tuple, edges: list[float], position: int = 0):
    otype = draw(st.sampled_from(PRICE_TYPES))
    price = price_strategy(symbol, book, edges)
    unused = rarely(st.none(), price)           # a price the type does not take
    usual = st.sampled_from(QUANTITIES + ((2 * abs(position),) * 4 if position else ()))  # + flips
    qty = draw(rarely(usual, st.sampled_from(ODD_QUANTITIES + (1000.5,))))
    return Ticket(symbol, draw(st.sampled_from(list(Action))), otype, qty,
                  draw(price if otype.needs_limit else unused),
                  draw(price if otype.needs_stop else unused),
                  draw(rarely(st.just(0), st.sampled_from((1, 2, 3, 4, -1, True)))))


def derived_values(pool, positions, books) -> dict[str, list]:
    """Limit values at the orders' own boundaries: equal to an order's quantity, notional
    or resulting position (passes) and one unit below it (fails)."""
    out = {"max_order_quantity": [], "max_order_notional": [], "max_position": [],
           "max_fx_order_quantity": [], "max_fx_position": []}
    for t in pool:
        if not is_number(t.quantity) or t.quantity <= 0 or t.quantity > 1e9:
            continue
        q = dec(t.quantity)
        out[fx_limit("max_order_quantity", t.symbol)] += [float(q), float(q - 1)]
        bid, ask = books[t.symbol]
        p = t.limit_price if t.order_type.needs_limit else ask if t.action is Action.BUY else bid
        if is_number(p) and p > 0:
            n = q * dec(p)
            out["max_order_notional"] += [float(n), float(n - q * TICK[t.symbol])]
        pos = positions[t.symbol]
        new = abs(pos + (q if t.action is Action.BUY else -q))
        out[fx_limit("max_position", t.symbol)] += [float(new), float(new - 1), float(abs(pos) - 1)]
    return {k: [x for x in v if x > 0] for k, v in out.items()}


FIXED_VALUES = {
    "max_order_quantity": [1, 100, 1000, 100_000],
    "max_order_notional": [100.0, 18_750, 100_000, 1e6],
    "max_position": [100, 1000, 5000, 100_000],
    "max_fx_order_quantity": [1, 100, 25_000, 100_000],
    "max_fx_position": [100, 25_000, 100_000, 500_000],
    "max_future_order_quantity": [1, 10, 100],
    "max_future_position": [1, 20, 100],
    "price_band_percent": [0.5, 1, 5, 10, 100],
    "price_band_ticks": [1, 2, 20, 100],
    "duplicate_order": [0.5, 2.0, 60.0],
    "max_orders_per_minute": [1, 2, 3, 30],
}


def limit_values(name: str, derived: dict[str, list]):
    """A limit's value: a usual one, or (half the time) one at a drawn order's boundary."""
    fixed = st.sampled_from(FIXED_VALUES[name])
    at_boundary = [v for v in derived.get(name, []) if v > 0]
    return weighted((1, fixed), (1, st.sampled_from(at_boundary))) if at_boundary else fixed


@dataclass(frozen=True)
class Step:
    ticket: int
    dt: float
    override: bool
    retry: bool          # after a soft refusal, the trader confirms: execute(override=True)
    read_only: bool
    halted: bool
    connected: bool
    requote: tuple | None


RARE = rarely(st.just(False), st.just(True), 30)


def quote_of(symbol: str, book: tuple, kind: str):
    """(Quote for the session, (bid, ask, last) for the oracle); (None, None) for no quote.
    A last price away from the book is set too, so a rule that used it would show."""
    bid, ask = book
    last = float(dec(bid) - 10 * TICK[symbol]) if kind != "last only" else bid
    key = CONTRACTS[symbol].key
    fields = {"two-sided": dict(bid=bid, ask=ask, last=last), "bid only": dict(bid=bid, last=last),
              "ask only": dict(ask=ask, last=last), "last only": dict(last=last),
              "empty": {}}.get(kind)
    if fields is None:
        return None, None
    q = Quote(key, close=ask, **fields)
    return q, tuple(None if getattr(q, f) is None else dec(getattr(q, f)) for f in ("bid", "ask", "last"))


# --------------------------------------------------------------------- the property

@settings(max_examples=100, deadline=None, derandomize=True, phases=PHASES,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.data())
def test_place_order_is_sent_exactly_when_every_check_passes(data):
    """No order reaches the session unless every check passed, and none that passes them all
    is refused; a refusal names the first failing rule and a hard one survives override."""
    draw = data.draw
    book_of = {s: draw(st.sampled_from(BOOKS[s]), label=f"book {s}") for s in SYMBOLS}
    kinds = {s: draw(QUOTE_KIND, label=f"quote {s}") for s in SYMBOLS}
    pos_values = (0, 0, 100, -100, 1000, -1000, 4900, -5000, 100_000)
    own = {s: draw(st.sampled_from(pos_values), label=f"position {s}") for s in SYMBOLS}
    other = {s: draw(st.sampled_from(pos_values), label=f"other account {s}") for s in SYMBOLS}
    band = {name: Limit(draw(st.booleans()), draw(st.sampled_from(FIXED_VALUES[name])),
                        draw(st.booleans())) for name in ("price_band_percent", "price_band_ticks")}
    edges = {sym: band_edges(sym, book_of[sym], kinds[sym], *band.values()) for sym in SYMBOLS}
    pool = draw(st.lists(st.sampled_from(SYMBOLS).flatmap(
        lambda sym: tickets(sym, book_of[sym], edges[sym], own[sym])),
                         min_size=1, max_size=3), label="tickets")
    derived = derived_values(pool, {s: Decimal(own[s]) for s in SYMBOLS}, book_of)
    limits = {}
    for name in LIMIT_NAMES:
        if name in band:
            limits[name] = band[name]
            continue
        values = limit_values(name, derived)
        often = name not in ("max_order_quantity", "max_order_notional", "max_position",
                             "max_fx_order_quantity", "max_fx_position")
        enabled = draw(st.sampled_from((True, False) if often else (False, True, False)))
        limits[name] = Limit(enabled, draw(values), draw(st.booleans()))
    n_steps = draw(st.sampled_from((1, 2, 3, 4, 5, 6, 7, 8)), label="number of commands")
    steps = draw(st.lists(st.builds(
        Step, st.sampled_from(range(len(pool))), st.sampled_from(CLOCK_STEPS), st.booleans(),
        st.booleans(), RARE, RARE, rarely(st.just(True), st.just(False), 30),
        rarely(st.none(), st.tuples(st.integers(0, 3), st.sampled_from(QUOTE_KINDS)), 6)),
        min_size=n_steps, max_size=n_steps), label="steps")
    start = draw(st.one_of(st.integers(1_000_000, 10_000_000).map(float),
                           st.floats(1e6, 1e7, allow_nan=False)), label="clock start")

    s = FakeSession(auto_submit=False)
    oracle = Oracle(limits, {}, {})
    for sym in SYMBOLS:
        inst = CONTRACTS[sym]
        assert dec(inst.min_tick) == TICK[sym]
        q, seen = quote_of(sym, book_of[sym], kinds[sym])
        if q is not None:
            s._quotes[inst.key] = q
            oracle.quotes[sym] = seen
        if own[sym]:
            s.set_position(sym, own[sym], 100.0)
        if other[sym]:
            s._positions[(OTHER, inst.key)] = Position(OTHER, inst, other[sym], 100.0)
        oracle.positions[sym] = Decimal(own[sym])
    assert s.account_id == ACCOUNT
    clock = [start]
    c = OrderCommands(s, limits=RiskLimits(**limits), clock=lambda: clock[0])
    connected = True

    for step in steps:
        clock[0] += step.dt
        with localcontext() as ctx:
            ctx.prec = 80
            now = Decimal(clock[0])        # the clock reading itself (exact binary value)
        c.read_only, c.halted = step.read_only, step.halted
        if step.connected != connected:
            s.reconnect() if step.connected else s.drop_connection()
            connected = step.connected
        t = pool[step.ticket]
        if step.requote is not None:
            books = BOOKS[t.symbol]
            q, seen = quote_of(t.symbol, books[step.requote[0] % len(books)], step.requote[1])
            key = CONTRACTS[t.symbol].key
            if q is None:
                s._quotes.pop(key, None)
                oracle.quotes.pop(t.symbol, None)
            else:
                s._quotes[key] = q
                oracle.quotes[t.symbol] = seen
        req = t.request()
        for override in (step.override, True):
            with localcontext() as ctx:
                ctx.prec = 80
                expected, why = oracle.decide(t, now, override, read_only=step.read_only,
                                              halted=step.halted, connected=connected)
            n0 = len(s.calls)
            try:
                c.check(PlaceOrder(req), override=override)
                checked = ("send",)
            except CommandRejected as e:
                checked = ("refuse", e.rule, e.soft)
            assert s.calls[n0:] == [], "check() must not send anything"
            res = c.execute(PlaceOrder(req), override=override)
            sent = s.calls[n0:]
            got = ("send",) if res.ok else ("refuse", res.rule, res.soft)
            context = f"{req.describe()!r} {t} override={override}: oracle {why}; code {res.message}"
            assert got in expected, context
            assert checked == got, context
            if res.ok:
                assert len(sent) == 1 and sent[0][0] == "place_order" and sent[0][1][0] is req, context
                oracle.sent.append((now, oracle.signature(t)))
            else:
                assert sent == [], context
            if not (step.retry and not override and got[0] == "refuse" and got[2]):
                break


# --------------------------------------------------------------------- one limit at its edge

@settings(max_examples=400, deadline=None, derandomize=True, phases=PHASES)
@given(st.randoms(use_true_random=True))
def test_a_limit_passes_at_its_value_and_fails_one_unit_beyond(rnd):
    """An order exactly at a limit (quantity, notional, resulting position, band edge) is sent;
    one share, cent or tick beyond it is refused by that rule, and override passes only a
    soft limit."""
    # uniform choices from a seeded Random: every example a fresh combination (Hypothesis'
    # own choices repeat near-identical examples, and only the edge cases matter here)
    sym = rnd.choice(SYMBOLS)
    book = rnd.choice(BOOKS[sym])
    own = rnd.choice((0, 100, -100, 1000, -1000, 5000, -5000))
    rule = rnd.choice(("max_order_quantity", "max_order_notional", "max_position", "price_band",
                       "duplicate_order", "max_orders_per_minute", "ib_rules"))
    # the notional of MKT / STP needs the NBBO side: one-sided quotes as often as two-sided
    kind = rnd.choice(QUOTE_KINDS if rule == "max_order_notional" else QUOTE_KINDS[:1] * 5 + QUOTE_KINDS[1:])
    beyond, hard, override = (rnd.random() < 0.5 for _ in range(3))
    band = {name: Limit(rule == "price_band" and rnd.random() < 0.5,
                        rnd.choice(FIXED_VALUES[name]), rnd.random() < 0.5)
            for name in ("price_band_percent", "price_band_ticks")}
    if rule == "price_band" and not (band["price_band_percent"].enabled
                                     or band["price_band_ticks"].enabled):
        band["price_band_ticks"] = Limit(True, band["price_band_ticks"].value, hard)
    edges = band_edges(sym, book, kind, *band.values())
    otype = rnd.choice(PRICE_TYPES)
    flip = rule == "max_position" and own and rnd.random() < 0.5    # reduce, flat, or flip
    closing = Action.SELL if own > 0 else Action.BUY
    t = Ticket(sym, closing if flip else rnd.choice(list(Action)), otype,
               rnd.choice((2 * abs(own), abs(own), abs(own) + 1)) if flip else rnd.choice(QUANTITIES),
               rnd.choice(edges) if otype.needs_limit else None,
               rnd.choice(edges) if otype.needs_stop else None)
    if rule == "ib_rules":    # one field odd: IB's order rules (no limit is on)
        field_, odd = rnd.choice(
            [("quantity", v) for v in ODD_QUANTITIES + (1000.5,)]
            + [("limit_price" if otype.needs_limit else "stop_price", v)
               for v in ODD_PRICES if otype is not OrderType.MKT]
            + [("oca_type", v) for v in (1, 2, 3, 4, -1, True)]
            + [("limit_price", float(edges[0]) + 0.5 * float(TICK[sym]))])
        t = Ticket(**{**t.__dict__, field_: odd})
    q = dec(t.quantity) if is_number(t.quantity) else Decimal(1)
    oracle = Oracle({name: Limit() for name in LIMIT_NAMES}, {}, {sym: Decimal(own)})
    quote, seen = quote_of(sym, book, kind)
    if quote is not None:
        oracle.quotes[sym] = seen
    unit = {"max_order_quantity": Decimal(1), "max_position": Decimal(1),
            "max_order_notional": Decimal("0.01")}.get(rule)
    if rule == "max_order_quantity":
        at = q
    elif rule == "max_order_notional":
        p = oracle.notional_price(t)
        at = q * p if p is not None else Decimal(100_000)
    elif rule == "max_position":
        at = abs(Decimal(own) + (q if t.action is Action.BUY else -q))
    if unit is not None:
        value = at - unit if beyond else at
        name = fx_limit(rule, sym) if rule in ("max_order_quantity", "max_position") else rule
        oracle.limits[name] = Limit(True, float(value if value > 0 else at + 1), hard)
    # the time rules: one order sent before, this one the window's length later (the same
    # order for the duplicate guard), exactly at it, a moment inside or beyond
    window = {"duplicate_order": rnd.choice((0.5, 2.0, 60.0)), "max_orders_per_minute": 60.0}.get(rule)
    if window is not None:
        oracle.limits[rule] = Limit(True, window if rule == "duplicate_order" else rnd.choice((1, 2)),
                                    hard)
    oracle.limits.update(band)

    s = FakeSession(auto_submit=False)
    inst = CONTRACTS[sym]
    if quote is not None:
        s._quotes[inst.key] = quote
    if own:
        s.set_position(sym, own, 100.0)
    now = rnd.choice((7_000_000.0, 1_234_567.25))
    c = OrderCommands(s, limits=RiskLimits(**oracle.limits), clock=lambda: now)
    if window is not None:
        first = t if rule == "duplicate_order" else Ticket(sym, t.action, t.order_type, t.quantity + 1,
                                                           t.limit_price, t.stop_price)
        assert c.execute(PlaceOrder(first.request())).ok
        oracle.sent.append((Decimal(now), oracle.signature(first)))
        now += window + rnd.choice((-0.1, 0.0, 0.0, 0.5))
        s.calls.clear()
    req = t.request()
    with localcontext() as ctx:
        ctx.prec = 80
        expected, why = oracle.decide(t, Decimal(now), override, read_only=False,
                                      halted=False, connected=True)
    res = c.execute(PlaceOrder(req), override=override)
    got = ("send",) if res.ok else ("refuse", res.rule, res.soft)
    limit = oracle.limits[rule] if rule in oracle.limits else band
    assert got in expected, f"{req.describe()} {limit} override={override}: oracle {why}; code {res.message}"
    assert s.calls == ([("place_order", (req,))] if res.ok else [])


# --------------------------------------------------------------------- ModifyOrder

def modify_rule(cur: Ticket, filled, m) -> str | None:
    """``check_modification``: a new quantity is a number > 0 (whole shares for stocks), not
    below the filled quantity; a new price only of a type that uses it, > 0, below 1e9, on
    the tick; at least one value different from the order's current one."""
    stock = cur.symbol != "EUR.USD"
    q = m.quantity
    if q is not None:
        if not is_number(q) or q <= 0 or (stock and q != int(q)) or q < filled:
            return "invalid_modify"
    uses_limit = cur.order_type in (OrderType.LMT, OrderType.STP_LMT)
    uses_stop = cur.order_type in (OrderType.STP, OrderType.STP_LMT)
    for price, used in ((m.limit_price, uses_limit), (m.stop_price, uses_stop)):
        if price is None:
            continue
        if not used or not is_number(price) or price <= 0 or price >= 1e9:
            return "invalid_modify"
        steps = dec(price) / TICK[cur.symbol]
        if abs(steps - steps.to_integral_value()) > Decimal("1e-6"):
            return "tick_size"
    changed = [new is not None and (old is None or dec(new) != dec(old))
               for new, old in ((q, cur.quantity), (m.limit_price, cur.limit_price),
                                (m.stop_price, cur.stop_price))]
    return None if any(changed) else "no_change"


@dataclass(frozen=True)
class Mod:
    quantity: object
    limit_price: object
    stop_price: object
    override: bool
    answer: bool         # the gateway answers the previous modification first
    read_only: bool
    halted: bool         # the kill switch stops new orders only: a modify still goes
    connected: bool
    fill_all: bool       # the order fills before this modification


@settings(max_examples=40, deadline=None, derandomize=True, phases=PHASES,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                 HealthCheck.filter_too_much])
@given(st.data())
def test_modify_is_sent_exactly_when_the_order_it_becomes_passes(data):
    """A modification is sent exactly when the order it becomes passes IB's rules, size,
    notional and band, and a grown quantity passes max position; hard ones survive override."""
    draw = data.draw
    sym = draw(st.sampled_from(SYMBOLS), label="symbol")
    book = draw(st.sampled_from(BOOKS[sym]), label="book")
    kind = draw(QUOTE_KIND, label="quote")
    pos_values = (0, 100, -100, 1000, -1000, 4900, -5000)
    own = draw(st.sampled_from(pos_values), label="position")
    other = draw(st.sampled_from(pos_values), label="other account")
    band = {name: Limit(draw(st.booleans()), draw(st.sampled_from(FIXED_VALUES[name])),
                        draw(st.booleans())) for name in ("price_band_percent", "price_band_ticks")}
    edges = band_edges(sym, book, kind, *band.values())
    t0 = draw(tickets(sym, book, edges).filter(lambda t: Oracle.ib_rule(t) is None), label="order")
    filled = draw(st.sampled_from((0, 0, 0, 1)), label="filled")
    q0 = dec(t0.quantity)
    tick = TICK[sym]
    pos = Decimal(own)
    sign = 1 if t0.action is Action.BUY else -1
    derived = {
        "max_order_quantity": [float(q0), float(q0 + 1), float(2 * q0), float(2 * q0 - 1)],
        "max_position": [float(abs(pos + sign * q0)), float(abs(pos + sign * q0) - 1)],
        "max_order_notional": [float(k * q0 * dec(p)) for k in (1, 2)
                               for p in (t0.limit_price, book[0], book[1]) if is_number(p)],
    }
    limits = {}
    for name in LIMIT_NAMES:
        if name in band:
            limits[name] = band[name]
            continue
        values = limit_values(name, derived)
        often = name == "max_position"      # the growth rule: the point of this property
        limits[name] = Limit(draw(st.sampled_from((True, False) if often else (False, True, False))),
                             draw(values), draw(st.booleans()))

    def new_price(current):
        if current is None:       # a price the order's type does not take
            return rarely(st.none(), price_strategy(sym, book, edges), 12)
        moved = st.sampled_from([float(dec(current) + k * tick) for k in (0, 1, -1, 1, 2, -20, 21)]
                                + [float(dec(current) + tick / 2)])
        return weighted((4, st.none()), (4, moved), (2, price_strategy(sym, book, edges)))

    new_qty = weighted(
        (3, st.none()),
        (5, st.sampled_from([float(q0 + 1), float(q0 - 1), float(2 * q0), float(filled), 1, q0])),
        (1, st.sampled_from(QUANTITIES)), (1, st.sampled_from(ODD_QUANTITIES)))
    n_mods = draw(st.sampled_from((1, 2, 3, 4, 5)), label="number of modifications")
    mods = draw(st.lists(st.builds(
        Mod, new_qty, new_price(t0.limit_price), new_price(t0.stop_price), st.booleans(),
        rarely(st.just(True), st.just(False), 4), RARE, rarely(st.just(False), st.just(True), 4),
        rarely(st.just(True), st.just(False)), rarely(st.just(False), st.just(True), 40)),
        min_size=n_mods, max_size=n_mods), label="modifications")

    s = FakeSession(auto_submit=False)
    inst = CONTRACTS[sym]
    oracle = Oracle(limits, {}, {sym: pos})
    q, seen = quote_of(sym, book, kind)
    if q is not None:
        s._quotes[inst.key] = q
        oracle.quotes[sym] = seen
    if own:
        s.set_position(sym, own, 100.0)
    if other:
        s._positions[(OTHER, inst.key)] = Position(OTHER, inst, other, 100.0)
    oid = s.place_order(t0.request()).order_id
    s.submit(oid)
    if filled:
        s.fill(oid, filled)
    cur, done, pending, connected = t0, filled >= t0.quantity, False, True
    c = OrderCommands(s, limits=RiskLimits(**limits), clock=lambda: 7_000_000.0)

    for m in mods:
        c.read_only, c.halted = m.read_only, m.halted
        if m.connected != connected:
            s.reconnect() if m.connected else s.drop_connection()
            connected = m.connected
            pending = False       # a reconnect settles every order with the gateway
        if m.answer and pending:
            s.answer(oid)
            pending = False
        if m.fill_all and not done:
            s.fill(oid)
            done, pending = True, False
        cmd = ModifyOrder(oid, m.quantity, m.limit_price, m.stop_price)
        gate = ("read_only" if m.read_only else "not_connected" if not connected else
                "order_done" if done else "pending" if pending else modify_rule(cur, filled, m))
        failures = []
        if gate is None:
            qty = cur.quantity if m.quantity is None else m.quantity
            becomes = Ticket(sym, cur.action, cur.order_type, qty,
                             cur.limit_price if m.limit_price is None else m.limit_price,
                             cur.stop_price if m.stop_price is None else m.stop_price)
            failures = (oracle.quantity_rule(becomes) + oracle.notional_rule(becomes)
                        + oracle.band_rule(becomes))
            if dec(qty) > dec(cur.quantity):     # max position by the growth only
                failures += oracle.position_rule(
                    Ticket(sym, cur.action, OrderType.MKT, dec(qty) - dec(cur.quantity)))
        n0 = len(s.calls)
        res = c.execute(cmd, override=m.override)
        sent = s.calls[n0:]
        context = f"{cmd} on {cur} filled={filled}: gate {gate}, risk {failures}; code {res.message}"
        if gate is not None:
            assert (res.ok, res.rule, res.soft, sent) == (False, gate, False, []), context
            continue
        hard = [r for r, soft in failures if not soft]
        if not failures or (m.override and not hard):
            assert res.ok and sent == [("modify_order", (oid, m.quantity, m.limit_price,
                                                         m.stop_price))], context
            cur, pending = becomes, True
        else:
            assert not res.ok and sent == [], context
            assert (res.rule, res.soft) in failures, context
            assert not (m.override and res.soft), context    # override never passes a hard rule


@settings(max_examples=150, deadline=None, derandomize=True, phases=PHASES)
@given(st.randoms(use_true_random=True))
def test_modify_growth_is_checked_against_max_position(rnd):
    """A modification that grows an order passes max position exactly when the position plus
    the growth (not the whole order) stays within the limit; a shrinking one always passes."""
    sym = rnd.choice(SYMBOLS)
    own = rnd.choice((0, 100, -100, 1000, -1000))
    action = rnd.choice(list(Action))
    q0 = rnd.choice((100, 200, 1000))
    growth = rnd.choice((1, 100, q0, -1, -50))
    beyond, hard, override = (rnd.random() < 0.5 for _ in range(3))
    sign = 1 if action is Action.BUY else -1
    after = abs(own + sign * max(growth, 0))
    value = after - 1 if beyond and after > 1 else after if after else 50
    limits = RiskLimits(**{fx_limit("max_position", sym): Limit(True, float(value), hard)})
    s = FakeSession(auto_submit=False)
    if own:
        s.set_position(sym, own, 100.0)
    for other_sym in SYMBOLS:     # positions in other symbols never count
        if other_sym != sym:
            s.set_position(other_sym, rnd.choice((0, 300, -300)), 100.0)
    oid = s.place_order(OrderRequest(CONTRACTS[sym], action, q0, OrderType.MKT)).order_id
    s.submit(oid)
    c = OrderCommands(s, limits=limits, clock=lambda: 7_000_000.0)
    oracle = Oracle({name: getattr(limits, name) for name in LIMIT_NAMES}, {}, {sym: Decimal(own)})
    fails = oracle.position_rule(Ticket(sym, action, OrderType.MKT, growth)) if growth > 0 else []
    n0 = len(s.calls)
    res = c.execute(ModifyOrder(oid, quantity=q0 + growth), override=override)
    if not fails or (override and not hard):
        assert res.ok and s.calls[n0:] == [("modify_order", (oid, q0 + growth, None, None))], res.message
    else:
        assert (res.ok, res.rule, res.soft, s.calls[n0:]) == (False, "max_position", not hard, []), res.message


# --------------------------------------------------------------------- regressions

def test_notional_exactly_at_the_limit_is_not_refused_by_float_rounding():
    """An order whose notional equals the max notional exactly (1,000 EUR.USD at 1.00005 =
    1,000.05 USD) passes, as the limit documents (quantity x price <= limit)."""
    s = FakeSession(auto_submit=False)
    limits = RiskLimits(max_order_notional=Limit(True, 1000.05, True))
    c = OrderCommands(s, limits=limits, clock=lambda: 7_000_000.0)
    req = OrderRequest(CONTRACTS["EUR.USD"], Action.BUY, 1000, OrderType.LMT, limit_price=1.00005)
    res = c.execute(PlaceOrder(req))
    assert (res.ok, res.rule) == (True, "")
    assert s.calls == [("place_order", (req,))]


@pytest.mark.parametrize("gap, then", [(3600.0, 0.0), (3601.0, 1.0)])
def test_duplicate_within_a_window_longer_than_an_hour_is_refused(gap, then):
    """With a 2 h duplicate window (RiskLimits allows any positive value), the same order
    3600 s or 3602 s later is a duplicate, as the limit documents, even if another order was
    sent in between (at that instant or before: that send drops history older than 3600 s)."""
    s = FakeSession(auto_submit=False)
    clock = [7_000_000.0]
    c = OrderCommands(s, limits=RiskLimits(duplicate_order=Limit(True, 7200.0, True)),
                      clock=lambda: clock[0])
    req = OrderRequest(CONTRACTS["AAPL"], Action.BUY, 100, OrderType.MKT)
    assert c.execute(PlaceOrder(req)).ok
    clock[0] += gap
    assert c.execute(PlaceOrder(OrderRequest(CONTRACTS["MSFT"], Action.BUY, 100, OrderType.MKT))).ok
    clock[0] += then
    res = c.execute(PlaceOrder(req))
    assert (res.ok, res.rule, len(s.calls)) == (False, "duplicate_order", 2)
