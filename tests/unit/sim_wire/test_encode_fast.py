"""The direct tickPrice/tickSize encoders write exactly what the general field encoder writes."""

from __future__ import annotations

import math

import pytest

from app.sim import encode as E
from app.sim.wire import UNSET_DOUBLE, encode_fields, fmt_size

PRICES = [0.0, 230.01, 1.08005, 150.005, 1e-5, 123456789.125, -1.0, 5, UNSET_DOUBLE, math.inf, math.nan,
          -math.inf, 1e300]
SIZES = [0.0, 100.0, 1500.0, 0.5, 1e7, None, 3]


@pytest.mark.parametrize("price", PRICES)
@pytest.mark.parametrize("size", SIZES)
def test_tick_price_matches_the_field_encoder(price, size):
    for rid, tt, mask in ((1, E.BID, 0), (1234567, E.LAST, 1), (-1, 66, 3)):
        want = encode_fields(E.TICK_PRICE, 6, rid, tt, price, fmt_size(size), mask)
        assert E.tick_price(rid, tt, price, size, mask) == want


@pytest.mark.parametrize("size", SIZES)
def test_tick_size_matches_the_field_encoder(size):
    for rid, tt in ((1, E.VOLUME), (987654, 74), (True, 8)):
        assert E.tick_size(rid, tt, size) == encode_fields(E.TICK_SIZE, 6, rid, tt, fmt_size(size))
