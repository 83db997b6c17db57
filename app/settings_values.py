"""Reading values back from ``QSettings`` (INI files give strings back).

No Qt import: the command layer uses it too (``app.commands.risk_settings``).
"""

from __future__ import annotations

from typing import Any

_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})


def setting_bool(value: Any, default: bool) -> bool:
    """A stored flag: a bool, an int, or "true"/"false"/"1"/"0"/"yes"/"no"/"on"/"off"
    (any case, as an INI file returns it). Missing (None) or unreadable -> ``default``,
    so a damaged settings file never silently switches a safety toggle off."""
    if value is None:
        return default
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return bool(value)
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    return default
