"""Encode the option messages of the simulated gateway (server versions 157..178).

Written from the two client decoders side by side (ibapi 10.50 ``decoder.py``, ib_async
2.1 ``decoder.py``); none of them changes inside 157..178:

* tickOptionComputation (21): no version field from 156 (``PRICE_BASED_VOLATILITY``):
  reqId, tickType, tickAttrib (0 = return-based, 1 = price-based), impliedVol, delta,
  optPrice, pvDividend, gamma, vega, theta, undPrice. "Not computed" markers as IB: -1 for
  impliedVol / optPrice / pvDividend / undPrice, -2 for delta / gamma / vega / theta.
* securityDefinitionOptionParameter (75): no version field: reqId, exchange,
  underlyingConId, tradingClass, multiplier, expiration count, expirations, strike count,
  strikes. securityDefinitionOptionParameterEnd (76): reqId. (Protobuf only from 210.)
"""

from __future__ import annotations

from app.sim.options import Computation
from app.sim.wire import encode_fields

TICK_OPTION_COMPUTATION = 21
SECURITY_DEFINITION_OPTION_PARAMETER = 75
SECURITY_DEFINITION_OPTION_PARAMETER_END = 76
#: IB tick types of option computations (``TickTypeEnum``)
BID_OPTION, ASK_OPTION, LAST_OPTION, MODEL_OPTION = 10, 11, 12, 13
#: delayed counterparts (reqMarketDataType 3 / 4)
DELAYED_OPTION = {10: 80, 11: 81, 12: 82, 13: 83}


def _or(x: float | None, unset: float) -> float:
    return unset if x is None else float(x)


def tick_option_computation(req_id: int, tick_type: int, comp: Computation, price_based: bool = False) -> bytes:
    """tickOptionComputation (21) for subscription / calculation ``req_id``."""
    return encode_fields(
        TICK_OPTION_COMPUTATION, req_id, tick_type, 1 if price_based else 0,
        _or(comp.implied_vol, -1.0), _or(comp.delta, -2.0), _or(comp.opt_price, -1.0),
        _or(comp.pv_dividend, -1.0), _or(comp.gamma, -2.0), _or(comp.vega, -2.0),
        _or(comp.theta, -2.0), _or(comp.und_price, -1.0))


def sec_def_opt_params(req_id: int, exchange: str, under_con_id: int, trading_class: str, multiplier: str,
                       expirations: list[str], strikes: list[float]) -> bytes:
    """securityDefinitionOptionParameter (75) for one exchange."""
    return encode_fields(SECURITY_DEFINITION_OPTION_PARAMETER, req_id, exchange, under_con_id, trading_class,
                         multiplier, len(expirations), *expirations, len(strikes), *strikes)


def sec_def_opt_params_end(req_id: int) -> bytes:
    """securityDefinitionOptionParameterEnd (76)."""
    return encode_fields(SECURITY_DEFINITION_OPTION_PARAMETER_END, req_id)
