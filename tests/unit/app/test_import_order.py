"""Start-up: numpy and pandas are imported before PySide6 (issue 12).

PySide6's ``__feature__`` import hook reads the source of every module imported after
PySide6; pandas imported after it cost ~0.3 s at every start of ``ibdesk``."""

from __future__ import annotations

import subprocess
import sys


def test_entry_point_loads_pandas_before_pyside():
    code = ("import sys, app.__main__; "
            "print('pandas' in sys.modules, 'numpy' in sys.modules, 'PySide6' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert out.stdout.split() == ["True", "True", "False"]
