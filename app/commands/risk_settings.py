"""Load and save ``RiskLimits`` in a ``QSettings`` (group "risk").

Keys: ``risk/<limit>/enabled``, ``risk/<limit>/value``, ``risk/<limit>/hard`` for
each limit of ``RiskLimits`` and ``risk/flatten_ticks``. Missing or unreadable
values fall back to ``RiskLimits.recommended()`` (a corrupt settings file must
never switch a limit off). Qt's ``QSettings`` is duck-typed here (``value``,
``setValue``, ``sync``), so the module imports no Qt.
"""

from __future__ import annotations

import logging
import math
from typing import Any

from app.settings_values import setting_bool
from app.commands.risk import Limit, RiskLimits

log = logging.getLogger("ibdesk.commands")

GROUP = "risk"


def _float(raw: Any, default: float) -> float:
    try:
        v = float(raw)
    except (TypeError, ValueError):
        return default
    return v if math.isfinite(v) else default


def load_limits(settings: Any) -> RiskLimits:
    """The limits stored in ``settings`` (a ``QSettings``), each missing or unreadable
    value replaced by its ``RiskLimits.recommended()`` default; limits whose stored
    combination is invalid (``RiskLimits.problems``) fall back to the default."""
    base = RiskLimits.recommended()
    limits = base
    for name, default in base.limits().items():
        key = f"{GROUP}/{name}"
        lim = Limit(setting_bool(settings.value(f"{key}/enabled"), default.enabled),
                    _float(settings.value(f"{key}/value"), default.value),
                    setting_bool(settings.value(f"{key}/hard"), default.hard))
        candidate = limits.with_limit(name, lim)
        # ``limits`` itself is always valid here, so a candidate has at most one problem
        problems = candidate.problems()
        if problems:
            log.warning("risk limit %s in settings is invalid (%s); using the default",
                        name, problems[0])
            continue
        limits = candidate
    raw = settings.value(f"{GROUP}/flatten_ticks")
    ticks = _float(raw, float(base.flatten_ticks))
    if float(ticks).is_integer() and 0 <= ticks <= 1000:
        from dataclasses import replace
        limits = replace(limits, flatten_ticks=int(ticks))
    return limits


def save_limits(settings: Any, limits: RiskLimits) -> None:
    """Store ``limits`` in ``settings``. Raises ``ValueError`` naming every problem when
    ``limits.problems()`` is not empty (nothing is written then)."""
    problems = limits.problems()
    if problems:
        raise ValueError("Invalid risk limits: " + "; ".join(problems))
    for name, lim in limits.limits().items():
        key = f"{GROUP}/{name}"
        settings.setValue(f"{key}/enabled", bool(lim.enabled))
        settings.setValue(f"{key}/value", float(lim.value))
        settings.setValue(f"{key}/hard", bool(lim.hard))
    settings.setValue(f"{GROUP}/flatten_ticks", int(limits.flatten_ticks))
    sync = getattr(settings, "sync", None)
    if callable(sync):
        sync()
