"""Pre-trade risk limits and checks (pure functions, no I/O, no clock of their own).

``RiskLimits`` holds one ``Limit`` (enabled, value, hard or soft) per rule;
:func:`evaluate` runs every enabled rule on one ``OrderRequest`` and returns
the failures as ``CommandRejected`` (``rule`` and ``soft`` set). The caller
(``OrderCommands``) raises the first hard failure, or the first soft one unless
the trader overrode it. TWS's own precautions ("Order Precautions" in TWS
Global Configuration) are usually bypassed for API orders, so these checks
are the terminal's only ones.

Units: quantities in shares (FX: base currency units), prices and notionals in
the instrument's currency (FX: the quote currency, e.g. USD for EUR.USD; no FX
conversion is made), times in seconds of the caller's monotonic clock.
"""

from __future__ import annotations

import math
from decimal import Decimal
from dataclasses import dataclass, field, fields, replace
from typing import Iterable

from app.commands.validation import CommandRejected, fmt_number
from app.domain import Action, OrderRequest, OrderType, Quote, round_to_tick
from app.domain.orders import price_text


@dataclass(frozen=True)
class Limit:
    """One configurable limit: ``enabled``, its ``value`` (units per rule, see
    ``RiskLimits``) and ``hard`` (True: the order is blocked; False: soft, the
    trader may override after an explicit question)."""

    enabled: bool = False
    value: float = 0.0
    hard: bool = True


#: rule name -> (RiskLimits field, unit text for the settings dialog)
LIMIT_RULES: dict[str, tuple[str, str]] = {
    "max_order_quantity": ("max_order_quantity", "shares / contracts per order"),
    "max_order_notional": ("max_order_notional", "instrument currency per order"),
    "max_position": ("max_position", "shares / contracts per symbol"),
    "max_fx_order_quantity": ("max_fx_order_quantity", "base currency per FX order"),
    "max_fx_position": ("max_fx_position", "base currency per currency pair"),
    "max_future_order_quantity": ("max_future_order_quantity", "contracts per futures order"),
    "max_future_position": ("max_future_position", "contracts per futures contract"),
    "price_band_percent": ("price_band_percent", "% of the NBBO mid"),
    "price_band_ticks": ("price_band_ticks", "ticks outside the NBBO"),
    "duplicate_order": ("duplicate_order", "seconds"),
    "max_orders_per_minute": ("max_orders_per_minute", "orders in any 60 s"),
}


@dataclass(frozen=True)
class RiskLimits:
    """The pre-trade limits (persisted by ``app.commands.risk_settings``).

    - ``max_order_quantity``: shares / contracts per order (not FX: see below).
    - ``max_order_notional``: quantity x price x multiplier per order in the
      instrument's currency; price = the limit price (LMT, STP LMT), else the NBBO side the
      order would trade against (ask for a buy, bid for a sell; STP without a
      quote: its stop price).
    - ``max_position``: |current position + this order| per symbol, shares /
      contracts; an order that makes the position smaller always passes.
    - ``max_fx_order_quantity`` / ``max_fx_position``: the same two rules for FX
      (secType CASH), in units of the base currency (EUR of EUR.USD): an FX order
      is 25,000 EUR or more on IDEALPRO, so the share limits cannot serve both.
    - ``max_future_order_quantity`` / ``max_future_position``: the same two rules for futures
      (secType FUT), in contracts per order and per contract month (ESZ6): one ES contract is
      worth about 300,000 USD, so a share count cannot serve both either.
    - ``price_band_percent`` / ``price_band_ticks``: limit and stop prices must
      lie within [bid - band, ask + band]; the band is the wider of the enabled
      allowances (percent of the mid, ticks x min tick).
    - ``duplicate_order``: seconds within which the same symbol, side, quantity
      and prices is refused as a duplicate.
    - ``max_orders_per_minute``: orders sent by this terminal in any 60 s.
    - ``flatten_ticks``: ticks beyond the NBBO for a marketable-limit Flatten.

    Tick size (IB error 110) is not a limit: off-tick prices are always refused
    (rule "tick_size"). ``RiskLimits()`` has every limit off; the defaults the
    app starts with are :meth:`recommended`.
    """

    max_order_quantity: Limit = field(default_factory=Limit)
    max_order_notional: Limit = field(default_factory=Limit)
    max_position: Limit = field(default_factory=Limit)
    max_fx_order_quantity: Limit = field(default_factory=Limit)
    max_fx_position: Limit = field(default_factory=Limit)
    max_future_order_quantity: Limit = field(default_factory=Limit)
    max_future_position: Limit = field(default_factory=Limit)
    price_band_percent: Limit = field(default_factory=Limit)
    price_band_ticks: Limit = field(default_factory=Limit)
    duplicate_order: Limit = field(default_factory=Limit)
    max_orders_per_minute: Limit = field(default_factory=Limit)
    flatten_ticks: int = 5

    @classmethod
    def recommended(cls) -> "RiskLimits":
        """Defaults for a new installation: every limit on (1,000 shares, 100,000
        per order, 5,000 per symbol; FX 100,000 base units per order and 500,000 per pair;
        futures 10 contracts per order and 20 per contract;
        5 % / 20 ticks band soft, 2 s duplicates soft, 30 orders a minute)."""
        # a Limit is hard unless hard=False; flatten_ticks keeps its default, 5
        return cls(
            max_order_quantity=Limit(True, 1_000),
            max_order_notional=Limit(True, 100_000),
            max_position=Limit(True, 5_000),
            max_fx_order_quantity=Limit(True, 100_000),
            max_fx_position=Limit(True, 500_000),
            max_future_order_quantity=Limit(True, 10),
            max_future_position=Limit(True, 20),
            price_band_percent=Limit(True, 5.0, hard=False),
            price_band_ticks=Limit(True, 20, hard=False),
            duplicate_order=Limit(True, 2.0, hard=False),
            max_orders_per_minute=Limit(True, 30),
        )

    def limits(self) -> dict[str, Limit]:
        """Every ``Limit`` field by name."""
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name in LIMIT_RULES}

    def quantity_limit(self, req: OrderRequest) -> Limit:
        """The per-order quantity limit of ``req``: ``max_fx_order_quantity`` for an FX pair
        (secType CASH, base units), ``max_future_order_quantity`` for a future (contracts),
        else ``max_order_quantity`` (shares / option contracts)."""
        if req.instrument.is_fx:
            return self.max_fx_order_quantity
        return self.max_future_order_quantity if req.instrument.is_future else self.max_order_quantity

    def position_limit(self, req: OrderRequest) -> Limit:
        """The position limit of ``req``'s instrument: ``max_fx_position`` for an FX pair
        (secType CASH, base units), ``max_future_position`` for a future (contracts), else
        ``max_position`` (shares / option contracts)."""
        if req.instrument.is_fx:
            return self.max_fx_position
        return self.max_future_position if req.instrument.is_future else self.max_position

    def with_limit(self, name: str, limit: Limit) -> "RiskLimits":
        """A copy with limit ``name`` replaced."""
        if name not in LIMIT_RULES:
            raise KeyError(f"Unknown limit {name!r}")
        return replace(self, **{name: limit})

    def problems(self) -> list[str]:
        """Why these limits are unusable, as sentences (empty when valid): every
        enabled value must be a finite number > 0 (the percent band at most 100),
        counts and ticks whole numbers, ``flatten_ticks`` a whole number 0-1000."""
        out = []
        for name, lim in self.limits().items():
            v = lim.value
            label = name.replace("_", " ")
            if not isinstance(v, (int, float)) or isinstance(v, bool) or not math.isfinite(v):
                out.append(f"{label}: the value must be a number, got {v!r}")
            elif lim.enabled and v <= 0:
                out.append(f"{label}: the value must be positive, got {fmt_number(v)}")
            elif name in ("max_orders_per_minute", "price_band_ticks") and not float(v).is_integer():
                out.append(f"{label}: the value must be a whole number, got {fmt_number(v)}")
            elif name == "price_band_percent" and v > 100:
                out.append(f"{label}: at most 100 %, got {fmt_number(v)}")
        ft = self.flatten_ticks
        if isinstance(ft, bool) or not isinstance(ft, int) or not 0 <= ft <= 1000:
            out.append(f"flatten ticks: a whole number from 0 to 1000, got {ft!r}")
        return out


def _unit(req: OrderRequest) -> str:
    """What a quantity counts: "shares" (STK), "units of EUR" (FX), else "contracts"."""
    sec = req.instrument.sec_type
    if sec == "STK":
        return "shares"
    return f"units of {req.instrument.symbol}" if sec == "CASH" else "contracts"


def _dec(x: float) -> Decimal:
    """``x`` as the decimal number it is written as (``repr``): 1.1 -> Decimal("1.1")."""
    return Decimal(repr(x))


def _fail(lim: Limit, rule: str, text: str) -> CommandRejected:
    return CommandRejected(text, rule=rule, soft=not lim.hard)


def side_price(req: OrderRequest, quote: Quote | None) -> float | None:
    """The NBBO side an order trades against: ask for a BUY, bid for a SELL (None if absent)."""
    if quote is None:
        return None
    return quote.ask if req.action is Action.BUY else quote.bid


def notional_price(req: OrderRequest, quote: Quote | None) -> float | None:
    """The price of ``req``'s notional: limit price (LMT, STP LMT), else the NBBO side
    (MKT, STP), else the stop price (STP without a quote); None when unknown."""
    if req.order_type.needs_limit and req.limit_price is not None:
        return req.limit_price
    p = side_price(req, quote)
    if p is None and req.order_type is OrderType.STP:
        p = req.stop_price
    return p


def check_quantity(req: OrderRequest, lim: Limit) -> CommandRejected | None:
    """Rule "max_order_quantity": quantity <= limit."""
    if lim.enabled and req.quantity > lim.value:
        return _fail(lim, "max_order_quantity",
                     f"Order quantity {req.quantity:,.0f} exceeds the maximum of {lim.value:,.0f} "
                     f"{_unit(req)} per order")
    return None


def check_notional(req: OrderRequest, quote: Quote | None, lim: Limit) -> CommandRejected | None:
    """Rule "max_order_notional": quantity x :func:`notional_price` x the instrument's
    multiplier (100 for an equity option, 50 for ES) <= limit (instrument currency; equal
    within float noise passes). No price to compute it (MKT without a
    quote): a failure as hard as the limit (a hard limit is never passed unchecked; a soft
    one asks for an override)."""
    if not lim.enabled:
        return None
    ccy = req.instrument.currency
    price = notional_price(req, quote)
    if price is None:
        return CommandRejected(
            f"No quote for {req.instrument.display_symbol} to compute the notional of a "
            f"{req.order_type.value} order against the maximum of {lim.value:,.0f} {ccy}"
            + ("" if not lim.hard else " (hard limit: use a limit order, or change it in Trading > Risk limits)"),
            rule="max_order_notional", soft=not lim.hard)
    mult = req.instrument.multiplier
    notional = req.quantity * price * mult
    # compared in decimal: equal to the limit passes although the float product carries
    # noise (100,000 EUR.USD x 1.1 = 110,000.00000000001 against a 110,000 limit), and one
    # cent over fails at any size (18,753,000 against 18,752,999.99)
    if _dec(req.quantity) * _dec(price) * _dec(mult) > _dec(lim.value):
        times = "" if mult == 1 else f" x {fmt_number(mult)}"
        return _fail(lim, "max_order_notional",
                     f"Order notional {notional:,.0f} {ccy} ({req.quantity:,.0f} x "
                     f"{price_text(price, req.instrument.min_tick)}{times}) "
                     f"exceeds the maximum of {lim.value:,.0f} {ccy} per order")
    return None


def signed_quantity(req: OrderRequest) -> float:
    """+quantity for a BUY, -quantity for a SELL."""
    return req.quantity if req.action is Action.BUY else -req.quantity


def check_position(req: OrderRequest, position: float, lim: Limit) -> CommandRejected | None:
    """Rule "max_position": |position + signed order quantity| <= limit, unless the
    order does not make |position| larger (reducing risk always passes; so does a flip to
    the same size the other way). Working orders are not counted: only the position IB
    reports (updatePortfolio)."""
    if not lim.enabled:
        return None
    new = _dec(position) + _dec(signed_quantity(req))   # exact: 0.1 + 0.2 is 0.3 here
    if abs(new) > _dec(lim.value) and abs(new) > abs(_dec(position)):
        return _fail(lim, "max_position",
                     f"Position in {req.instrument.display_symbol} would be {new:,.0f} "
                     f"({position:,.0f} now {'+' if req.action is Action.BUY else '-'} {req.quantity:,.0f}), "
                     f"beyond the maximum of {lim.value:,.0f} {_unit(req)}")
    return None


def check_price_band(req: OrderRequest, quote: Quote | None, pct: Limit,
                     ticks: Limit) -> CommandRejected | None:
    """Rule "price_band": the limit and stop prices within [bid - band, ask + band].

    band = the wider of ``pct`` % of the mid and ``ticks`` x min tick (enabled ones).
    Reference: bid and ask (one side missing: the other for both; neither: the
    last price). No quote at all: failure "no quote to check the price band against".
    Hard only if every enabled band limit is hard (a hard limit is never passed unchecked).
    The message says how far through the market the price is, with prices on the
    instrument's tick: "Limit 257.40 is 16.2 % above the ask 221.60 (band 5 % / 20 ticks:
    210.44 - 232.68)".
    """
    if not (pct.enabled or ticks.enabled):
        return None
    prices = [(n, p) for n, p in (("Limit", req.limit_price), ("Stop", req.stop_price))
              if p is not None]
    if not prices:
        return None
    bid = quote.bid if quote else None
    ask = quote.ask if quote else None
    bid_name, ask_name = "bid", "ask"
    if bid is None and ask is None and quote is not None and quote.last is not None:
        bid = ask = quote.last
        bid_name = ask_name = "last"
    if bid is None:
        bid, bid_name = ask, ask_name
    if ask is None:
        ask, ask_name = bid, bid_name
    hard = all(lim.hard for lim in (pct, ticks) if lim.enabled)
    if bid is None:
        return CommandRejected(f"No quote for {req.instrument.display_symbol} to check the price band "
                               "against", rule="price_band", soft=not hard)
    tick = req.instrument.min_tick or 0.01
    mid = (bid + ask) / 2
    band = max(pct.value / 100 * mid if pct.enabled else 0.0,
               ticks.value * tick if ticks.enabled else 0.0)
    lo, hi = bid - band, ask + band
    what = " / ".join(t for t, lim in ((f"{fmt_number(pct.value)} %", pct),
                                       (f"{fmt_number(ticks.value)} ticks", ticks)) if lim.enabled)
    for name, p in prices:
        above = p > hi + tick * 1e-6
        if above or p < lo - tick * 1e-6:
            ref, ref_name = (ask, ask_name) if above else (bid, bid_name)
            off = f"{abs(p - ref) / ref * 100:.1f} % " if ref > 0 else ""
            return CommandRejected(
                f"{name} {price_text(p, tick)} is {off}{'above' if above else 'below'} the {ref_name} "
                f"{price_text(ref, tick)} (band {what}: {price_text(round_to_tick(max(lo, 0), tick), tick)}"
                f" - {price_text(round_to_tick(hi, tick), tick)})", rule="price_band", soft=not hard)
    return None


def order_signature(req: OrderRequest) -> tuple:
    """What makes two orders duplicates: symbol (conId key), side, quantity, prices."""
    return (req.instrument.key, req.action.value, float(req.quantity), req.limit_price,
            req.stop_price)


def check_duplicate(req: OrderRequest, recent: Iterable[tuple[float, tuple]], now: float,
                    lim: Limit) -> CommandRejected | None:
    """Rule "duplicate_order": the same :func:`order_signature` sent within
    ``lim.value`` seconds before ``now`` (``recent``: (time sent, signature))."""
    if not lim.enabled:
        return None
    sig = order_signature(req)
    for t, s in recent:
        if s == sig and 0 <= now - t < lim.value:
            return _fail(lim, "duplicate_order",
                         f"Same order as one sent {now - t:.1f} s ago ({req.describe()}); duplicates "
                         f"within {fmt_number(lim.value)} s are refused")
    return None


def check_rate(sent_times: Iterable[float], now: float, lim: Limit, n_new: int = 1
               ) -> CommandRejected | None:
    """Rule "max_orders_per_minute": orders sent in (now - 60 s, now] plus ``n_new``
    must not exceed the limit."""
    if not lim.enabled:
        return None
    n = sum(1 for t in sent_times if now - t < 60.0)
    if n + n_new > lim.value:
        return _fail(lim, "max_orders_per_minute",
                     f"{n} orders sent in the last 60 s; {n_new} more would exceed the maximum of "
                     f"{lim.value:,.0f} orders per minute")
    return None


#: the rules in words, for the trader (messages never show the rule ids)
RULE_TITLES: dict[str, str] = {
    "max_order_quantity": "Order quantity limit",
    "max_order_notional": "Order value limit",
    "max_position": "Position limit",
    "price_band": "Price band",
    "duplicate_order": "Duplicate order",
    "max_orders_per_minute": "Orders per minute limit",
}


def rule_title(rule: str) -> str:
    """``rule`` (a ``CommandRejected.rule``) in words: "price_band" -> "Price band"; an
    unknown or empty rule -> "Risk limit"."""
    return RULE_TITLES.get(rule, "Risk limit")


#: rules ``evaluate`` can be told to skip (``skip=``)
RISK_RULES = ("max_order_quantity", "max_order_notional", "max_position", "price_band",
              "duplicate_order", "max_orders_per_minute")


def evaluate(req: OrderRequest, limits: RiskLimits, *, quote: Quote | None, position: float,
             recent: Iterable[tuple[float, tuple]], sent_times: Iterable[float], now: float,
             skip: Iterable[str] = (), n_orders: int = 1) -> list[CommandRejected]:
    """Every failed rule of ``req`` (hard and soft, in ``RISK_RULES`` order).

    ``quote``: the instrument's latest quote (None = none); ``position``: the
    current signed position in the instrument; ``recent`` / ``sent_times``:
    orders this terminal sent (see :func:`check_duplicate`, :func:`check_rate`);
    ``skip``: rule names not applied (bulk commands); ``n_orders``: orders this
    command sends (a bracket sends up to 3).
    """
    skip = set(skip)
    recent, sent_times = list(recent), list(sent_times)
    out = []
    for rule, run in (
        ("max_order_quantity", lambda: check_quantity(req, limits.quantity_limit(req))),
        ("max_order_notional", lambda: check_notional(req, quote, limits.max_order_notional)),
        ("max_position", lambda: check_position(req, position, limits.position_limit(req))),
        ("price_band", lambda: check_price_band(req, quote, limits.price_band_percent,
                                                limits.price_band_ticks)),
        ("duplicate_order", lambda: check_duplicate(req, recent, now, limits.duplicate_order)),
        ("max_orders_per_minute", lambda: check_rate(sent_times, now, limits.max_orders_per_minute,
                                                     n_orders)),
    ):
        if rule not in skip:
            failure = run()
            if failure is not None:
                out.append(failure)
    return out
