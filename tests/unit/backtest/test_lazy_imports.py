"""The terminal does not load the backtest's metrics stack (empyrical, scipy) at start-up: the
live runner and the Strategies dock import it when a backtest runs. (The desktop bundle once
failed to start because the runner pulled empyrical -> scipy in at import time.)"""

from __future__ import annotations

import subprocess
import sys


def test_the_panels_and_the_runner_load_without_scipy():
    code = ("import sys; import app.ui.panels, app.strategy.runner, app.backtest.model; "
            "print(sorted(m for m in ('scipy', 'empyrical') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                         env={"QT_QPA_PLATFORM": "offscreen", "PATH": "/usr/bin:/bin"})
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_the_backtest_names_still_import():
    from app.backtest import BacktestConfig, compute_metrics, run_backtest
    assert BacktestConfig().cash == 100_000.0 and callable(run_backtest) and callable(compute_metrics)
