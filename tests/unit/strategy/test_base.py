"""The strategy base class: parameters parsed and checked, helpers refuse bad orders before
the context sees them."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from app.domain import Action, OrderType, TimeInForce
from app.domain.bars import Bar
from app.strategy import Param, Strategy, StrategyError


class Demo(Strategy):
    name = "demo"
    params = (Param("fast", int, 10, minimum=1), Param("stop_pct", float, 0.0, minimum=0, maximum=50),
              Param("long_only", bool, False))

    def check_params(self):
        if self.p["fast"] > 100:
            raise ValueError("fast must be at most 100")


class Ctx:
    def __init__(self):
        self.orders, self.pos = [], 0.0

    def submit(self, action, quantity, order_type, *, limit_price, stop_price, tif):
        self.orders.append((action, quantity, order_type, limit_price, stop_price, tif))
        return len(self.orders)

    def cancel_all(self):
        self.orders.append("cancel_all")

    def position(self):
        return self.pos

    def log(self, text):
        pass

    def now(self):
        return datetime(2026, 1, 5, tzinfo=timezone.utc)


@pytest.mark.parametrize("values, expected", [
    ({}, {"fast": 10, "stop_pct": 0.0, "long_only": False}),
    ({"fast": "12", "stop_pct": "2.5", "long_only": "true"}, {"fast": 12, "stop_pct": 2.5, "long_only": True}),
    ({"fast": 20.0, "long_only": "off"}, {"fast": 20, "stop_pct": 0.0, "long_only": False}),
])
def test_params_are_parsed(values, expected):
    assert Demo(**values).p == expected


@pytest.mark.parametrize("values, message", [
    ({"fast": "1.5"}, "Parameter fast: '1.5' is not valid (a whole number is needed)"),
    ({"fast": 0}, "Parameter fast: 0 is below the minimum 1"),
    ({"stop_pct": "nan"}, "a finite number is needed"),
    ({"stop_pct": 60}, "above the maximum 50"),
    ({"long_only": "maybe"}, "use true or false"),
    ({"fast": True}, "a whole number is needed"),
    ({"slow": 3}, "demo has no parameter slow; it has fast, stop_pct, long_only"),
    ({"fast": 101}, "fast must be at most 100"),
])
def test_bad_params_say_which_and_why(values, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        Demo(**values)


def test_helpers_go_through_the_context_and_refuse_bad_orders():
    s, ctx = Demo(), Ctx()
    with pytest.raises(StrategyError, match="not attached"):
        s.buy(100)
    s.bind(ctx)
    assert s.buy(100) == 1 and s.sell(50, "LMT", price=187.5, tif="GTC") == 2
    assert ctx.orders[0] == (Action.BUY, 100.0, OrderType.MKT, None, None, TimeInForce.DAY)
    assert ctx.orders[1] == (Action.SELL, 50.0, OrderType.LMT, 187.5, None, TimeInForce.GTC)
    for bad in (0, -5, float("nan"), "100"):
        with pytest.raises(StrategyError, match="quantity must be a positive number"):
            s.buy(bad)
    with pytest.raises(StrategyError, match="XYZ"):
        s.buy(10, "XYZ")
    assert s.close_position() is None
    ctx.pos = -30
    s.close_position()
    assert ctx.orders[-1][:3] == (Action.BUY, 30.0, OrderType.MKT)
    assert len(ctx.orders) == 3


def test_bars_accumulate_before_on_bar():
    seen = []

    class Count(Demo):
        def on_bar(self, bar):
            seen.append((len(self.bars), float(self.bars["close"].iloc[-1])))

    s = Count()
    for i in range(3):
        s.feed_bar(Bar(datetime(2026, 1, 5 + i, tzinfo=timezone.utc), 1, 2, 0.5, 1.5 + i, 100))
    assert seen == [(1, 1.5), (2, 2.5), (3, 3.5)]
    assert list(s.bars.columns) == ["time", "open", "high", "low", "close", "volume"]
