"""Command line: ``python -m app.backtest --csv FILE --strategy sma_cross --param fast=10
--param slow=20 [--param quantity=100] [--param long_only=false] [--cash 100000]
[--commission 0|ib] [--slippage-pct 0] [--risk-free 0] [--json OUT] [--strategy-file PATH]
[--sec-type FUT --multiplier 50 --symbol ES]``.

Prints a short summary; ``--json OUT`` writes :meth:`BacktestResult.to_json` (the metrics at
the top level and ``trades``; ``-`` writes to stdout). Bad input: a message on stderr and exit
code 2.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from app.backtest.data import load_csv
from app.backtest.engine import run_backtest
from app.backtest.model import BacktestConfig, BacktestResult


class UsageError(Exception):
    """Bad command-line input (exit code 2)."""


def _parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="python -m app.backtest",
                                 description="Backtest a strategy on OHLCV bars from a CSV file.")
    ap.add_argument("--csv", required=True, help="OHLCV CSV (Date,Open,High,Low,Close,Volume)")
    ap.add_argument("--strategy", default=None, help="strategy name (sma_cross, rsi_reversion, or one "
                    "from --strategy-file); default: the only strategy of --strategy-file")
    ap.add_argument("--strategy-file", default=None, help="a .py file or folder with Strategy subclasses")
    ap.add_argument("--param", action="append", default=[], metavar="NAME=VALUE", help="strategy parameter")
    ap.add_argument("--cash", type=float, default=100_000.0, help="starting cash, USD (default 100000)")
    ap.add_argument("--commission", default="ib", help='"ib" (simulator schedule, default) or USD per share')
    ap.add_argument("--slippage-pct", type=float, default=0.0, help="percent against market fills")
    ap.add_argument("--risk-free", type=float, default=0.0, help="annual risk-free rate, fraction (0.04)")
    ap.add_argument("--sec-type", default="STK", help="IB secType of the bars: STK (default), CASH, FUT, OPT "
                    "(the commission schedule)")
    ap.add_argument("--multiplier", type=float, default=1.0, help="contract multiplier (50 for ES, 100 for "
                    "an option; default 1): P&L = price x quantity x multiplier")
    ap.add_argument("--symbol", default="", help="root symbol of a future (ES), for its commission")
    ap.add_argument("--json", default=None, metavar="OUT", help="write the result as JSON (- for stdout)")
    ap.add_argument("--equity", action="store_true", help="include the equity curve in the JSON")
    return ap


def _strategy_class(args):
    from app.strategy.library import STRATEGIES, StrategyLoadError, load_strategy_file
    known = dict(STRATEGIES)
    loaded = []
    if args.strategy_file:
        try:
            loaded = load_strategy_file(args.strategy_file)
        except StrategyLoadError as e:
            raise UsageError(str(e)) from None
        known.update({c.name: c for c in loaded})
    name = args.strategy
    if name is None:
        if len(loaded) == 1:
            return loaded[0]
        raise UsageError("--strategy NAME is needed; known strategies: " + ", ".join(sorted(known)))
    if name not in known:
        raise UsageError(f"unknown strategy {name!r}; known strategies: {', '.join(sorted(known))}")
    return known[name]


def _params(items: list[str]) -> dict[str, str]:
    out = {}
    for it in items:
        name, sep, value = it.partition("=")
        if not sep or not name.strip():
            raise UsageError(f"--param {it!r}: use NAME=VALUE (e.g. --param fast=10)")
        out[name.strip()] = value.strip()
    return out


def _config(args) -> BacktestConfig:
    c = args.commission.strip().lower()
    if c != "ib":
        try:
            c = float(c)
        except ValueError:
            raise UsageError(f'--commission {args.commission!r}: use "ib" or USD per share (e.g. 0.005)') from None
    try:
        return BacktestConfig(cash=args.cash, commission=c, slippage_pct=args.slippage_pct,
                              risk_free_rate=args.risk_free, sec_type=args.sec_type.strip().upper(),
                              multiplier=args.multiplier, symbol=args.symbol.strip().upper())
    except ValueError as e:
        raise UsageError(str(e)) from None


def summary(res: BacktestResult) -> str:
    """A few lines for a terminal."""
    m, i = res.metrics, res.info

    def g(k, fmt="{:.2f}"):
        v = m.get(k)
        return "n/a" if v is None or v != v else fmt.format(v)
    params = " ".join(f"{k}={v}" for k, v in i.get("params", {}).items())
    return "\n".join([
        f"{i.get('strategy')} {params}",
        f"bars {i.get('bars')}  {i.get('start', '')[:10]} .. {i.get('end', '')[:10]}",
        f"final equity {g('final_equity', '{:,.2f}')} USD   return {g('return_pct')} %   "
        f"annual {g('annual_return_pct')} %",
        f"Sharpe {g('sharpe')}   Sortino {g('sortino')}   max drawdown {g('max_drawdown_pct')} % "
        f"({g('max_drawdown_duration_bars', '{:.0f}')} bars)",
        f"trades {m['n_trades']}   win rate {g('win_rate_pct')} %   profit factor {g('profit_factor')}   "
        f"exposure {g('exposure_pct')} %   commissions {g('commissions')} USD",
    ])


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        cls = _strategy_class(args)
        try:
            strategy = cls(**_params(args.param))
        except ValueError as e:
            raise UsageError(str(e)) from None
        config = _config(args)
        try:
            bars = load_csv(args.csv)
        except (OSError, ValueError) as e:
            raise UsageError(str(e)) from None
    except UsageError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    res = run_backtest(strategy, bars, config)
    text = res.to_json(equity=args.equity)
    if args.json == "-":
        print(text)
    else:
        print(summary(res))
        if args.json:
            try:
                Path(args.json).write_text(text + "\n", encoding="utf-8")
            except OSError as e:
                print(f"error: cannot write {args.json}: {e}", file=sys.stderr)
                return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
