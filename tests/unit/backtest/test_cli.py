"""``python -m app.backtest``: summary, JSON keys, exit code 2 with a clear message on bad
input (run as a subprocess, as scripts do; the table of bad inputs calls ``main`` in-process)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]


def cli(*args):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "app.backtest", *map(str, args)], capture_output=True,
                          text=True, cwd=ROOT, env=env, timeout=120)


@pytest.fixture
def csv(tmp_path):
    rows = ["Date,Open,High,Low,Close,Volume"]
    price = 100.0
    for i in range(120):
        price *= 1.01 if (i // 15) % 2 == 0 else 0.99
        rows.append(f"2023-{1 + i // 28:02d}-{1 + i % 28:02d},{price:.2f},{price * 1.01:.2f},{price * 0.99:.2f},"
                    f"{price:.2f},1000")
    p = tmp_path / "bars.csv"
    p.write_text("\n".join(rows) + "\n")
    return p


def test_json_has_the_metrics_and_trades(csv, tmp_path):
    out = tmp_path / "r.json"
    r = cli("--csv", csv, "--strategy", "sma_cross", "--param", "fast=3", "--param", "slow=8",
            "--param", "quantity=10", "--param", "long_only=false", "--cash", "50000", "--commission", "0",
            "--json", out)
    assert r.returncode == 0, r.stderr
    assert "Sharpe" in r.stdout and "trades" in r.stdout
    d = json.loads(out.read_text())
    for k in ("return_pct", "sharpe", "max_drawdown_pct", "win_rate_pct", "n_trades", "final_equity", "trades"):
        assert k in d
    assert d["n_trades"] == len(d["trades"]) > 0
    assert set(d["trades"][0]) == {"entry_time", "exit_time", "side", "quantity", "entry_price", "exit_price", "pnl",
                                   "multiplier"}
    assert d["return_pct"] == pytest.approx(100 * (d["final_equity"] / 50000 - 1))
    assert d["info"]["params"]["fast"] == 3


def test_a_future_is_priced_with_its_multiplier_and_commission(csv, tmp_path):
    common = ("--csv", csv, "--strategy", "sma_cross", "--param", "fast=3", "--param", "slow=8",
              "--param", "quantity=1", "--param", "long_only=false", "--json", "-")
    stock = json.loads(cli(*common).stdout)
    es = cli(*common, "--sec-type", "fut", "--multiplier", "50", "--symbol", "es")
    assert es.returncode == 0, es.stderr
    fut = json.loads(es.stdout)
    assert fut["n_trades"] == stock["n_trades"] > 0
    for a, b in zip(stock["trades"], fut["trades"]):
        gross = (a["exit_price"] - a["entry_price"]) * (1 if a["side"] == "long" else -1)
        assert b["multiplier"] == 50 and b["pnl"] == pytest.approx(gross * 50 - 2 * 2.25, abs=1e-6)
    fills = fut["commissions"] / 2.25                          # 2.25 per ES contract, each fill
    assert fills >= fut["n_trades"] and fills == pytest.approx(round(fills))


@pytest.mark.parametrize("args,message", [
    (["--strategy", "nope"], "unknown strategy 'nope'; known strategies: rsi_reversion, sma_cross"),
    (["--strategy", "sma_cross", "--param", "fast=abc"], "Parameter fast: 'abc' is not valid"),
    (["--strategy", "sma_cross", "--param", "fast=30"], "fast (30) must be shorter than slow (20)"),
    (["--strategy", "sma_cross", "--param", "speed=3"], "sma_cross has no parameter speed"),
    (["--strategy", "sma_cross", "--param", "fast"], "use NAME=VALUE"),
    (["--strategy", "sma_cross", "--commission", "cheap"], "--commission 'cheap'"),
    (["--strategy", "sma_cross", "--cash", "-5"], "cash must be a positive number"),
    (["--strategy", "sma_cross", "--sec-type", "bond"], "sec_type must be one of STK, CASH, FUT, OPT, got 'BOND'"),
    (["--strategy", "sma_cross", "--multiplier", "0"], "multiplier must be a positive number"),
    (["--strategy-file", "/nonexistent/x.py"], "no such file"),
])
def test_bad_input_exits_2_with_a_clear_message(csv, args, message, capsys):
    # in-process (main's exit code and streams; test_bad_csv_exits_2 checks the real process)
    from app.backtest.__main__ import main
    code = main(["--csv", str(csv), *args])
    out, err = capsys.readouterr()
    assert code == 2
    assert message in err
    assert out == ""


def test_bad_csv_exits_2(tmp_path):
    p = tmp_path / "x.csv"
    p.write_text("Date,Open,High,Close\n2020-01-01,1,2,1.5\n")
    r = cli("--csv", p, "--strategy", "sma_cross")
    assert r.returncode == 2 and "missing column(s) Low" in r.stderr
    r = cli("--csv", tmp_path / "none.csv", "--strategy", "sma_cross")
    assert r.returncode == 2 and "no such file" in r.stderr


def test_strategy_file(csv, tmp_path):
    f = tmp_path / "mine.py"
    f.write_text("from app.strategy import Strategy\n"
                 "class Once(Strategy):\n    name = 'once'\n"
                 "    def on_start(self):\n        self.buy(1)\n")
    r = cli("--csv", csv, "--strategy-file", f, "--json", "-")
    assert r.returncode == 0, r.stderr
    d = json.loads(r.stdout)
    assert d["n_trades"] == 1 and d["info"]["strategy"] == "once"
