"""Shipped strategies (``STRATEGIES``: name -> class) and loading a user's strategies from a
``.py`` file or a folder of them (:func:`load_strategy_file`)."""

from __future__ import annotations

import importlib.util
import itertools
import sys
from pathlib import Path

from app.strategy.base import Strategy
from app.strategy.library.rsi_reversion import RsiReversion
from app.strategy.library.sma_cross import SmaCross

#: strategy name (command line, settings) -> class
STRATEGIES: dict[str, type[Strategy]] = {c.name: c for c in (SmaCross, RsiReversion)}

_counter = itertools.count(1)


class StrategyLoadError(ValueError):
    """A strategy file or folder could not be loaded (the message says which file and why)."""


def load_strategy_file(path: str | Path) -> list[type[Strategy]]:
    """The :class:`Strategy` subclasses defined in the ``.py`` file ``path``, or in every
    ``.py`` file of the folder ``path`` (sorted by file name; files starting with "_" skipped),
    in definition order. A class counts when it is defined in that file and has a ``name``.

    Raises :class:`StrategyLoadError` (a ``ValueError``) for a missing path, a file that is not
    ``.py``, a syntax or import error (file, line and reason), or no strategy found. The file
    runs as Python: load only files you trust.
    """
    p = Path(path).expanduser()
    if not p.exists():
        raise StrategyLoadError(f"{p}: no such file or folder")
    if p.is_dir():
        files = sorted(f for f in p.glob("*.py") if not f.name.startswith("_"))
        if not files:
            raise StrategyLoadError(f"{p}: the folder has no .py files")
        out: list[type[Strategy]] = []
        for f in files:
            out.extend(_load_one(f, require=False))
        if not out:
            raise StrategyLoadError(f"{p}: no Strategy subclass with a name in its .py files")
        return out
    if p.suffix != ".py":
        raise StrategyLoadError(f"{p}: a strategy file must be a .py file")
    return _load_one(p, require=True)


def _load_one(f: Path, require: bool) -> list[type[Strategy]]:
    mod_name = f"ibdesk_user_strategy_{next(_counter)}_{f.stem}"
    spec = importlib.util.spec_from_file_location(mod_name, f)
    if spec is None or spec.loader is None:
        raise StrategyLoadError(f"{f}: cannot be imported")
    module = importlib.util.module_from_spec(spec)
    sys.modules[mod_name] = module
    try:
        spec.loader.exec_module(module)
    except SyntaxError as e:
        sys.modules.pop(mod_name, None)
        raise StrategyLoadError(f"{f}: syntax error at line {e.lineno}: {e.msg}") from None
    except Exception as e:  # noqa: BLE001 - any error of user code is reported, not raised raw
        sys.modules.pop(mod_name, None)
        raise StrategyLoadError(f"{f}: importing it failed: {type(e).__name__}: {e}") from None
    found = [obj for obj in vars(module).values()
             if isinstance(obj, type) and issubclass(obj, Strategy) and obj is not Strategy
             and obj.__module__ == mod_name and obj.name]
    if require and not found:
        raise StrategyLoadError(f"{f}: defines no Strategy subclass with a name "
                                "(subclass app.strategy.Strategy and set name = \"...\")")
    return found


__all__ = ["STRATEGIES", "SmaCross", "RsiReversion", "StrategyLoadError", "load_strategy_file"]
