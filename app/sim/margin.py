"""Pre-trade margin check of the simulated gateway (Reg T initial margin, USD).

An order's *opening* part (what increases the absolute position) needs initial
margin: 25 % of long stock value, 30 % of short stock value, 3 % of FX value
(``app.sim.account``), valued at the order's limit/stop price or the opposite
quote. IB rejects an order whose need exceeds AvailableFunds with error 201 and
its "YOUR ORDER IS NOT ACCEPTED..." text (IB "Margin" pages, TWS order rejects).
"""

from __future__ import annotations

from app.sim.account import INIT_FX, INIT_LONG, INIT_SHORT, Account, option_margin
from app.sim.futures import margin_per_contract
from app.sim.market import MarketModel
from app.sim.orderrules import num
from app.sim.types import OrderTicket


def opening_margin(market: MarketModel, account: Account, con_id: int, t: OrderTicket, q: float,
                   filled: float = 0.0) -> float:
    """Initial margin (USD) the opening part of the unfilled ``q - filled`` shares needs; 0 if the
    order only reduces the position. Raises SimError 200 for an unknown conId."""
    inst = market.instrument(con_id)
    top = market.top(con_id)
    pos = account.position_qty(con_id)
    rest = q - filled
    signed = rest if t.action == "BUY" else -rest
    opening = max(0.0, abs(pos + signed) - abs(pos)) if (pos == 0 or (pos > 0) == (signed > 0)) else \
        max(0.0, abs(signed) - abs(pos))
    if opening <= 0:
        return 0.0
    px = num(t.lmt_price) or num(t.aux_price) or (top.ask if t.action == "BUY" else top.bid) or top.last
    return position_margin(inst, opening if signed > 0 else -opening, px) * account.rate(inst.contract.currency)


def position_maint(inst, qty: float, px: float) -> float:
    """Maintenance margin (instrument currency) of a position: futures their maintenance per
    contract (``futures.margin_per_contract``), anything else its initial margin."""
    if inst.contract.sec_type == "FUT":
        return abs(qty) * margin_per_contract(inst.contract)[1]
    return position_margin(inst, qty, px)


def position_margin(inst, qty: float, px: float) -> float:
    """Initial margin (instrument currency) of a position of ``qty`` (signed shares / contracts
    / base units) at price ``px``: stocks 25 % long / 30 % short, FX 3 %, options
    ``account.option_margin`` (long paid in full, short value + 20 % of strike x multiplier),
    futures their initial margin per contract (``futures.margin_per_contract``) whatever ``px``."""
    if inst.contract.sec_type == "OPT":
        return option_margin(inst.contract, qty, px)
    if inst.contract.sec_type == "FUT":
        return abs(qty) * margin_per_contract(inst.contract)[0]
    pct = INIT_FX if inst.is_fx else (INIT_LONG if qty > 0 else INIT_SHORT)
    return abs(qty) * px * pct


def margin_reject(market: MarketModel, account: Account, con_id: int, t: OrderTicket, q: float,
                  filled: float = 0.0) -> tuple[int, str] | None:
    """(201, IB's text) when the order's opening margin exceeds AvailableFunds, else None."""
    need = opening_margin(market, account, con_id, t, q, filled)
    if need <= 0:
        return None
    s = account.summary()
    if need > s["AvailableFunds"]:
        return 201, (f"Order rejected - reason:YOUR ORDER IS NOT ACCEPTED. IN ORDER TO OBTAIN THE DESIRED "
                     f"POSITION YOUR EQUITY WITH LOAN VALUE [{s['EquityWithLoanValue']:.2f} USD] MUST EXCEED "
                     f"THE INITIAL MARGIN [{s['InitMarginReq'] + need:.2f} USD]")
    return None
