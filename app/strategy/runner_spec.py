"""Rebuild a live runner from what the profile kept (:meth:`StrategyRunner.spec`): the Strategies
panel offers saved runners again, stopped, and the trader starts them."""

from __future__ import annotations

from typing import Any, Mapping

from PySide6.QtCore import QObject

from app.domain.instruments import Instrument
from app.strategy.base import Strategy
from app.strategy.runner import StrategyRunner


def runner_from_spec(spec: Mapping[str, Any], strategies: Mapping[str, type[Strategy]], session: Any,
                     commands: Any, parent: QObject | None = None, **kwargs) -> StrategyRunner:
    """A new, *not started* runner from :meth:`StrategyRunner.spec` (the trader starts it).

    ``strategies`` maps strategy names to classes (the library and the trader's own files).
    Raises ``ValueError`` naming what is wrong: an unknown strategy, a bad parameter, a bad
    instrument or bar size."""
    try:
        name = spec["strategy"]
        params = dict(spec.get("params") or {})
        inst = spec["instrument"]
        bar_size = spec["bar_size"]
    except (KeyError, TypeError, AttributeError) as e:
        raise ValueError(f"Saved strategy is incomplete ({e}); it needs strategy, params, "
                         "instrument and bar_size") from None
    cls = strategies.get(name)
    if cls is None:
        known = ", ".join(sorted(strategies)) or "none"
        raise ValueError(f"Saved strategy {name!r} is not available (known: {known})")
    try:
        instrument = Instrument.from_dict(inst)
    except (KeyError, TypeError, ValueError) as e:
        raise ValueError(f"Saved strategy {name!r} has a bad instrument: {e}") from None
    return StrategyRunner(cls(**params), instrument, bar_size, session, commands, parent, **kwargs)
