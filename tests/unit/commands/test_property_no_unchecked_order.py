"""Property: over random ticket inputs and limits, no order reaches the session
unless every check passed (IB rules, tick size, each enabled risk limit)."""

from __future__ import annotations

import math

from hypothesis import HealthCheck, given, settings, strategies as st

from app.commands import Limit, OrderCommands, PlaceOrder, RiskLimits
from app.domain import Action, OrderRequest, OrderType
from app.domain.orders import is_on_tick
from tests.fakes import FakeSession

NUM = st.one_of(st.floats(allow_nan=True, allow_infinity=True, width=64),
                st.integers(-10**9, 10**12), st.sampled_from([0, -1, 0.5, 187.505, 1e300]))
PRICE = st.one_of(st.none(), NUM, st.decimals(min_value=0, max_value=1000, places=3).map(float))
LIMIT = st.builds(Limit, st.booleans(), st.floats(0.5, 1e7), st.booleans())


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sym=st.sampled_from(["AAPL", "EUR.USD", "MSFT"]), side=st.sampled_from(list(Action)),
       qty=NUM, otype=st.sampled_from(list(OrderType)), lmt=PRICE, stp=PRICE,
       qlim=LIMIT, nlim=LIMIT, plim=LIMIT, band=LIMIT, pos=st.integers(-5000, 5000),
       override=st.booleans(), read_only=st.booleans())
def test_no_order_reaches_session_unless_every_check_passed(sym, side, qty, otype, lmt, stp, qlim,
                                                            nlim, plim, band, pos, override,
                                                            read_only):
    s = FakeSession(auto_submit=False)
    s.push_quote("AAPL", bid=187.49, ask=187.51)
    s.push_quote("EUR.USD", bid=1.1, ask=1.10005)
    inst = s.contracts[sym]
    if pos:
        s.set_position(sym, pos, 100.0)
    limits = RiskLimits(max_order_quantity=qlim, max_order_notional=nlim, max_position=plim,
                        price_band_percent=band)
    c = OrderCommands(s, limits=limits, read_only=read_only)
    req = OrderRequest(inst, side, qty, otype, limit_price=lmt, stop_price=stp)
    res = c.execute(PlaceOrder(req), override=override)
    sent = [x[1][0] for x in s.calls if x[0] == "place_order"]
    if not res.ok:
        assert sent == [], res.message
        return
    # it was sent: every rule must hold for it
    (r,) = sent
    assert not read_only
    q = r.quantity
    assert isinstance(q, (int, float)) and math.isfinite(q) and q > 0
    if inst.sec_type == "STK":
        assert float(q).is_integer()
    tick = inst.min_tick
    for needed, p in ((otype.needs_limit, r.limit_price), (otype.needs_stop, r.stop_price)):
        if needed:
            assert p is not None and p > 0 and is_on_tick(p, tick)
        else:
            assert p is None
    quote = s.quote(inst.key)
    soft_ok = override
    if qlim.enabled and (qlim.hard or not soft_ok):
        assert q <= qlim.value
    if plim.enabled and (plim.hard or not soft_ok):
        new = pos + (q if side is Action.BUY else -q)
        assert abs(new) <= plim.value or abs(new) <= abs(pos)
    if nlim.enabled and (nlim.hard or not soft_ok):
        price = r.limit_price if otype.needs_limit else (
            quote.ask if side is Action.BUY else quote.bid) if quote else None
        if price is None and otype is OrderType.STP:
            price = r.stop_price
        assert price is not None and q * price <= nlim.value + 1e-6
    if band.enabled and (band.hard or not soft_ok):
        assert quote is not None
        mid = (quote.bid + quote.ask) / 2
        width = band.value / 100 * mid
        for p in (r.limit_price, r.stop_price):
            if p is not None:
                assert quote.bid - width - 1e-9 <= p <= quote.ask + width + 1e-9
