"""reqAccountSummary rows of the simulated gateway (IB "Account Summary" tags and $LEDGER).

``account_summary(account, group, tags)`` answers IB's request for the one
account: ``group`` must be "All" (the only group of a non-advisor account),
``tags`` are IB's AccountSummaryTags (e.g. "NetLiquidation", "BuyingPower") and/or
"$LEDGER" (base currency), "$LEDGER:USD" (one currency), "$LEDGER:ALL" (every
currency). Unknown tags are ignored as TWS does. Values are strings as IB sends
them, money in USD (the base currency). Source: IB TWS API docs "Account Summary",
ibapi ``AccountSummaryTags``.
"""

from __future__ import annotations

from app.sim.account import Account
from app.sim.types import SimError

#: IB's AccountSummaryTags.AllTags
ALL_TAGS = ("AccountType", "NetLiquidation", "TotalCashValue", "SettledCash", "AccruedCash", "BuyingPower",
            "EquityWithLoanValue", "PreviousEquityWithLoanValue", "GrossPositionValue", "RegTEquity",
            "RegTMargin", "SMA", "InitMarginReq", "MaintMarginReq", "AvailableFunds", "ExcessLiquidity",
            "Cushion", "FullInitMarginReq", "FullMaintMarginReq", "FullAvailableFunds", "FullExcessLiquidity",
            "LookAheadNextChange", "LookAheadInitMarginReq", "LookAheadMaintMarginReq",
            "LookAheadAvailableFunds", "LookAheadExcessLiquidity", "HighestSeverity", "DayTradesRemaining",
            "Leverage")

LEDGER_TAGS = ("CashBalance", "TotalCashBalance", "NetLiquidationByCurrency", "StockMarketValue",
               "UnrealizedPnL", "RealizedPnL", "ExchangeRate")


def _split(tags) -> list[str]:
    if isinstance(tags, str):
        tags = tags.split(",")
    return [t.strip() for t in tags if t and t.strip()]


def account_summary(acct: Account, group: str, tags, prev_elv: float | None = None
                    ) -> list[tuple[str, str, str, str]]:
    """(account, tag, value, currency) rows in the order of ``tags``.

    Raises SimError 321 for a group other than "All".
    """
    if (group or "").strip().lower() != "all":
        raise SimError(321, f"Error validating request.-'bR' : cause - Invalid account group {group!r}; "
                            "this account has only the group All")
    s = acct.summary()
    nlv = s["NetLiquidation"]
    gpv = s["GrossPositionValue"]
    money = {
        "NetLiquidation": nlv, "TotalCashValue": s["TotalCashValue"], "SettledCash": s["TotalCashValue"],
        "AccruedCash": 0.0, "BuyingPower": s["BuyingPower"], "EquityWithLoanValue": s["EquityWithLoanValue"],
        "PreviousEquityWithLoanValue": s["EquityWithLoanValue"] if prev_elv is None else prev_elv,
        "GrossPositionValue": gpv, "RegTEquity": nlv, "RegTMargin": s["InitMarginReq"],
        "SMA": max(0.0, s["ExcessLiquidity"]), "InitMarginReq": s["InitMarginReq"],
        "MaintMarginReq": s["MaintMarginReq"], "AvailableFunds": s["AvailableFunds"],
        "ExcessLiquidity": s["ExcessLiquidity"], "FullInitMarginReq": s["InitMarginReq"],
        "FullMaintMarginReq": s["MaintMarginReq"], "FullAvailableFunds": s["AvailableFunds"],
        "FullExcessLiquidity": s["ExcessLiquidity"], "LookAheadInitMarginReq": s["InitMarginReq"],
        "LookAheadMaintMarginReq": s["MaintMarginReq"], "LookAheadAvailableFunds": s["AvailableFunds"],
        "LookAheadExcessLiquidity": s["ExcessLiquidity"],
    }
    plain = {"AccountType": "INDIVIDUAL", "Cushion": f"{(s['ExcessLiquidity'] / nlv) if nlv > 0 else 0.0:.6f}",
             "LookAheadNextChange": "0", "HighestSeverity": "0", "DayTradesRemaining": "-1",
             "Leverage": f"{(gpv / nlv) if nlv > 0 else 0.0:.4f}"}
    out: list[tuple[str, str, str, str]] = []
    aid = acct.account_id
    for tag in _split(tags):
        if tag in money:
            out.append((aid, tag, f"{money[tag]:.2f}", "USD"))
        elif tag in plain:
            out.append((aid, tag, plain[tag], ""))
        elif tag.upper().startswith("$LEDGER"):
            out += _ledger(acct, tag.split(":", 1)[1].upper() if ":" in tag else "BASE")
    return out


def _ledger(acct: Account, which: str) -> list[tuple[str, str, str, str]]:
    s = acct.summary()
    aid = acct.account_id
    stock_value = sum(p.market_value * acct.rate(p.currency) for p in acct.open_positions())
    rows: list[tuple[str, str, str, str]] = []
    if which in ("BASE", "ALL"):
        vals = {"CashBalance": s["TotalCashValue"], "TotalCashBalance": s["TotalCashValue"],
                "NetLiquidationByCurrency": s["NetLiquidation"], "StockMarketValue": stock_value,
                "UnrealizedPnL": s["UnrealizedPnL"], "RealizedPnL": s["RealizedPnL"], "ExchangeRate": 1.0}
        rows += [(aid, k, f"{vals[k]:.2f}", "BASE") for k in LEDGER_TAGS]
    ccys = sorted(acct.cash) if which in ("ALL", "BASE") else [which]
    if which == "BASE":
        ccys = []
    for ccy in ccys:
        if ccy not in acct.cash:
            continue
        cash = acct.cash[ccy]
        rate = acct.rate(ccy)
        mv = sum(p.market_value for p in acct.open_positions() if p.currency == ccy)
        vals = {"CashBalance": cash, "TotalCashBalance": cash, "NetLiquidationByCurrency": cash + mv,
                "StockMarketValue": mv, "UnrealizedPnL": 0.0, "RealizedPnL": 0.0, "ExchangeRate": rate}
        rows += [(aid, k, f"{vals[k]:.8g}" if k == "ExchangeRate" else f"{vals[k]:.2f}", ccy) for k in LEDGER_TAGS]
    return rows
