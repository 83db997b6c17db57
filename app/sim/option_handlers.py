"""Option requests of one API client: a mixin of ``app.sim.connection.ClientConnection``.

* reqSecDefOptParams (78) -> securityDefinitionOptionParameter (75) for exchange SMART,
  then securityDefinitionOptionParameterEnd (76); error 200 for an underlying without
  options (unknown symbol or conId, a secType other than STK).
* calculateImpliedVolatility (54) / calculateOptionPrice (55) -> one tickOptionComputation
  (21) on the request's reqId with tick type 53 (``CUST_OPTION_COMPUTATION``, the type
  TWS answers these requests with; ib_async files it under ``custGreeks`` / resolves its
  future, ibapi passes it to ``tickOptionComputation``); the cancels (56, 57) are
  acknowledged silently (the answer is immediate, nothing is left to cancel).
* reqMktData of an option: besides bid / ask / last prices and sizes, tickOptionComputation
  for tick types 10 (bid), 11 (ask), 12 (last), 13 (model) whenever they change (80..83
  with delayed market data), as TWS streams them for options.
"""

from __future__ import annotations

import math

from app.sim import encode_options as EO
from app.sim.types import SimError

#: IB tick type of calculateImpliedVolatility / calculateOptionPrice answers
CUST_OPTION_COMPUTATION = 53


class OptionHandlers:
    """Needs ``self.ex`` (SimExchange), ``self.send``, ``self._resolve``, ``self.market_data_type``."""

    def on_reqSecDefOptParams(self, req) -> None:
        p = req.params
        ex_name = (p.get("futFopExchange") or "").upper()
        if ex_name not in ("", "SMART"):
            raise SimError(200, "No security definition has been found for the request")
        under, tc, mult, exps, strikes = self.ex.sec_def_opt_params(
            p.get("underlyingSymbol", ""), p.get("underlyingSecType", ""), p.get("underlyingConId", 0))
        self.send(EO.sec_def_opt_params(req.req_id, "SMART", under, tc, mult, exps, strikes))
        self.send(EO.sec_def_opt_params_end(req.req_id))

    def _option_lookup(self, spec):
        """Options matching a request's contract (secType OPT): ``SimExchange.option_lookup``."""
        return self.ex.option_lookup(symbol=spec.symbol, expiry=spec.last_trade_date, strike=spec.strike,
                                     right=spec.right, local_symbol=spec.local_symbol,
                                     trading_class=spec.trading_class, multiplier=spec.multiplier,
                                     currency=spec.currency, exchange=spec.exchange)

    def _option_of(self, req):
        c = self._resolve(req.contract)
        if c.sec_type != "OPT":
            raise SimError(321, f"Error validating request.-'bP' : cause - {req.name} needs an option "
                                f"contract, got secType {c.sec_type}")
        return c

    def on_calculateImpliedVolatility(self, req) -> None:
        c = self._option_of(req)
        under = req.params.get("underPrice")
        comp = self.ex.calc_implied_vol(c.con_id, req.params["optionPrice"], under if under else math.nan)
        self.send(EO.tick_option_computation(req.req_id, CUST_OPTION_COMPUTATION, comp))

    def on_calculateOptionPrice(self, req) -> None:
        c = self._option_of(req)
        under = req.params.get("underPrice")
        comp = self.ex.calc_option_price(c.con_id, req.params["volatility"], under if under else math.nan)
        self.send(EO.tick_option_computation(req.req_id, CUST_OPTION_COMPUTATION, comp))

    def on_cancelCalculateImpliedVolatility(self, req) -> None:
        return None

    def on_cancelCalculateOptionPrice(self, req) -> None:
        return None

    def _send_option_ticks(self, rid: int, con_id: int, last: dict) -> None:
        """tickOptionComputation 10..13 of subscription ``rid`` when they changed."""
        comps = self.ex.option_computations(con_id)
        delayed = self.market_data_type in (3, 4)
        for tt, comp in comps.items():
            key = ("opt", tt)
            if last.get(key) != comp:
                last[key] = comp
                self.send(EO.tick_option_computation(rid, EO.DELAYED_OPTION[tt] if delayed else tt, comp))
