"""``app.sim.instruments.universe``: the default instruments then generated stocks S0001...,
the same for every call, kept by the ``--state`` file across a restart."""

from __future__ import annotations

import pytest

from app.sim.exchange import SimExchange
from app.sim.instruments import MAX_UNIVERSE, default_universe, universe
from tests.unit.sim.helpers import T0


def test_small_sizes_give_the_default_instruments():
    base = [i.con_id for i in default_universe()]
    for n in (0, 1, 23):
        assert [i.con_id for i in universe(n)] == base


def test_generated_stocks_follow_the_defaults_in_order():
    u = universe(500, T0)
    assert len(u) == 500
    assert [i.con_id for i in u[:23]] == [i.con_id for i in default_universe()]
    gen = u[23:]
    assert [i.contract.symbol for i in gen[:3]] == ["S0001", "S0002", "S0003"]
    assert gen[-1].contract.symbol == "S0477"
    c = gen[0].contract
    assert (c.sec_type, c.exchange, c.primary_exchange, c.currency) == ("STK", "SMART", "NASDAQ", "USD")
    assert c.long_name == "Synthetic Stock 0001" and c.min_tick == 0.01
    assert c.trading_hours and c.liquid_hours               # ``now`` given: hours filled in
    assert len({i.con_id for i in u}) == 500                 # conIds unique
    for i in gen:
        p = i.params
        assert 5.0 <= p.price <= 500.0 and 0.15 <= p.annual_vol <= 0.70 and 2e5 <= p.adv <= 5e7


def test_deterministic_and_prefix_stable():
    a, b = universe(300), universe(600)
    assert [(i.con_id, i.params) for i in a] == [(i.con_id, i.params) for i in b[:300]]
    assert [(i.contract, i.params) for i in universe(300)] == [(i.contract, i.params) for i in a]


@pytest.mark.parametrize("n", [-1, MAX_UNIVERSE + 1])
def test_out_of_range_raises(n):
    with pytest.raises(ValueError, match="universe"):
        universe(n)


def test_exchange_holds_the_universe_and_quotes_a_generated_stock():
    ex = SimExchange(seed=7, now=T0, universe=500)
    assert len(ex.contracts()) == 500
    (c,) = ex.lookup(symbol="S0400")
    top = ex.top(c.con_id)
    assert 0 < top.bid < top.ask
    ex.firehose(500, 1000.0)                                 # every instrument can stream


def test_state_file_rebuilds_the_same_universe(tmp_path):
    path = str(tmp_path / "s.sqlite")
    SimExchange(seed=7, now=T0, universe=120).save_state(path)
    back = SimExchange.load_state(path)
    assert [c.con_id for c in back.contracts()] == [i.con_id for i in universe(120)]
    assert back.universe == 120
