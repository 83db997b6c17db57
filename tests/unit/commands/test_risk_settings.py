"""Risk limits in the settings file (app.commands.risk_settings): what a damaged, partial or
Qt-stringified settings file loads as (never a limit switched off by accident), and exactly
what save_limits writes."""

from __future__ import annotations

import logging
import math

import pytest

from app.commands import Limit, RiskLimits
from app.commands.risk import LIMIT_RULES
from app.commands.risk_settings import load_limits, save_limits

REC = RiskLimits.recommended()
NAMES = list(LIMIT_RULES)


class FakeSettings:
    """A QSettings stand-in backed by a dict: value(key) -> the stored value or None."""

    def __init__(self, stored=None):
        self.stored = dict(stored or {})
        self.events: list[tuple] = []
        self.reads: list[str] = []

    def value(self, key):
        self.reads.append(key)
        return self.stored.get(key)

    def setValue(self, key, value):
        self.events.append(("set", key, value))
        self.stored[key] = value

    def sync(self):
        self.events.append(("sync",))

    @property
    def writes(self):
        return {e[1]: e[2] for e in self.events if e[0] == "set"}


def as_ini(stored: dict) -> FakeSettings:
    """What an INI-backed QSettings gives back after a restart: strings ("true"/"false",
    numbers as text)."""
    def text(v):
        if isinstance(v, bool):
            return "true" if v else "false"
        return str(v)
    return FakeSettings({k: text(v) for k, v in stored.items()})


def stored_limit(name, enabled, value, hard):
    return {f"risk/{name}/enabled": enabled, f"risk/{name}/value": value,
            f"risk/{name}/hard": hard}


# ---------------------------------------------------------------- load


def test_load_from_empty_settings_is_the_recommended_defaults():
    """Nothing stored: every limit is the recommended default (on), flatten 5 ticks."""
    s = FakeSettings()
    got = load_limits(s)
    assert got == REC and type(got.flatten_ticks) is int
    assert s.events == []                                   # loading writes nothing
    assert s.reads == [f"risk/{n}/{f}" for n in NAMES for f in ("enabled", "value", "hard")] + [
        "risk/flatten_ticks"]


@pytest.mark.parametrize("name", NAMES)
def test_load_one_stored_limit_leaves_the_others_at_default(name):
    """A limit stored with every field changed loads exactly; the other limits keep their defaults."""
    d = REC.limits()[name]
    value = 7.0 if name != "price_band_percent" else 1.5
    s = FakeSettings(stored_limit(name, not d.enabled, value, not d.hard))
    got = load_limits(s)
    assert got.limits()[name] == Limit(not d.enabled, value, not d.hard)
    assert got == REC.with_limit(name, Limit(not d.enabled, value, not d.hard))


def test_load_every_limit_stored():
    """All eleven limits stored with their own values: each one lands in its own field."""
    values = dict(zip(NAMES, [250.0, 50_000.0, 800.0, 30_000.0, 70_000.0, 3.0, 7.0, 2.5, 8.0, 1.5, 12.0], strict=True))
    stored = {}
    for i, n in enumerate(NAMES):
        stored.update(stored_limit(n, i % 2 == 0, values[n], i % 3 == 0))
    stored["risk/flatten_ticks"] = 9
    got = load_limits(FakeSettings(stored))
    assert got == RiskLimits(**{n: Limit(i % 2 == 0, values[n], i % 3 == 0)
                                for i, n in enumerate(NAMES)}, flatten_ticks=9)


@pytest.mark.parametrize("field", ["enabled", "value", "hard"])
def test_load_each_missing_field_falls_back_alone(field):
    """A limit with one field missing takes only that field from the default."""
    stored = stored_limit("max_position", False, 800.0, False)
    del stored[f"risk/max_position/{field}"]
    got = load_limits(FakeSettings(stored)).max_position
    expect = {"enabled": False, "value": 800.0, "hard": False}
    expect[field] = getattr(REC.max_position, field)
    assert got == Limit(**expect)


@pytest.mark.parametrize("raw, expect", [
    (True, True), (False, False), ("true", True), ("false", False), ("1", True), ("0", False),
    (1, True), (0, False), ("TRUE", True), (" False ", False), ("yes", True), ("off", False),
])
def test_load_flags_as_qt_stores_them(raw, expect):
    """Flags come back as bools, ints or the strings an INI file holds ("true", "0"...)."""
    s = FakeSettings({"risk/duplicate_order/enabled": raw, "risk/duplicate_order/hard": raw})
    got = load_limits(s).duplicate_order
    assert got == Limit(expect, 2.0, expect)


@pytest.mark.parametrize("raw", ["maybe", "", "2", "enabled", 2.5, [], object()])
def test_load_unreadable_flags_fall_back_to_default(raw):
    """An unreadable flag takes its default: never a limit off or a hard limit soft."""
    stored = {}
    for n in NAMES:
        stored[f"risk/{n}/enabled"] = raw
        stored[f"risk/{n}/hard"] = raw
    assert load_limits(FakeSettings(stored)) == REC


@pytest.mark.parametrize("raw, expect", [
    ("250", 250.0), ("250.5", 250.5), (250, 250.0), (250.5, 250.5), (" 42 ", 42.0),
    ("1e3", 1000.0),
])
def test_load_values_as_numbers_or_text(raw, expect):
    """Values come back as numbers or as text and load as floats."""
    got = load_limits(FakeSettings({"risk/max_order_quantity/value": raw})).max_order_quantity
    assert got == Limit(True, expect, True) and type(got.value) is float


@pytest.mark.parametrize("raw", ["abc", "", "nan", "inf", "-inf", math.nan, math.inf, [1], {},
                                 object(), "1,000"])
def test_load_unreadable_values_fall_back_to_default(raw):
    """A value that is not a finite number takes the default value (the flags still load)."""
    s = FakeSettings({"risk/max_order_notional/enabled": "true",
                      "risk/max_order_notional/value": raw,
                      "risk/max_order_notional/hard": "false"})
    assert load_limits(s).max_order_notional == Limit(True, 100_000, False)


@pytest.mark.parametrize("name, value", [
    ("max_order_quantity", "-5"), ("max_order_notional", "0"), ("max_position", "-0.5"),
    ("price_band_percent", "150"), ("price_band_ticks", "20.5"), ("duplicate_order", "0"),
    ("max_orders_per_minute", "30.5"),
])
def test_load_invalid_combination_falls_back_to_the_whole_default_limit(name, value, caplog):
    """An invalid stored limit falls back to the whole default limit, with a warning."""
    stored = stored_limit(name, "true", value, "false" if REC.limits()[name].hard else "true")
    stored.update(stored_limit("max_orders_per_minute" if name != "max_orders_per_minute"
                               else "max_order_quantity", "true", "12", "true"))
    with caplog.at_level(logging.WARNING, logger="ibdesk.commands"):
        got = load_limits(FakeSettings(stored))
    assert got.limits()[name] == REC.limits()[name]
    other = "max_orders_per_minute" if name != "max_orders_per_minute" else "max_order_quantity"
    assert got.limits()[other] == Limit(True, 12.0, True)
    assert got.problems() == []
    assert [r.levelno for r in caplog.records] == [logging.WARNING]
    problem = RiskLimits().with_limit(name, Limit(True, float(value))).problems()[0]
    assert caplog.records[0].getMessage() == (
        f"risk limit {name} in settings is invalid ({problem}); using the default")


def test_load_disabled_zero_is_kept():
    """A switched-off limit with 0 stored is valid and loads as stored (off)."""
    s = FakeSettings(stored_limit("max_position", "false", "0", "true"))
    assert load_limits(s).max_position == Limit(False, 0.0, True)


def test_load_several_invalid_limits_each_fall_back():
    """Several invalid limits: each one falls back, the valid ones load."""
    stored = {}
    stored.update(stored_limit("max_order_quantity", "true", "-1", "true"))
    stored.update(stored_limit("max_position", "true", "300", "false"))
    stored.update(stored_limit("price_band_percent", "true", "101", "true"))
    got = load_limits(FakeSettings(stored))
    assert got == REC.with_limit("max_position", Limit(True, 300.0, False))


@pytest.mark.parametrize("raw, expect", [
    (None, 5), ("7", 7), (7, 7), ("7.0", 7), (7.0, 7), ("0", 0), (0, 0), ("1000", 1000),
    ("1001", 5), ("-1", 5), ("7.5", 5), (7.5, 5), ("abc", 5), ("inf", 5), ("nan", 5), ("", 5),
])
def test_load_flatten_ticks_whole_number_0_to_1000(raw, expect):
    """flatten_ticks: a whole number 0-1000 (as int), anything else the default 5."""
    got = load_limits(FakeSettings({"risk/flatten_ticks": raw}))
    assert got.flatten_ticks == expect and type(got.flatten_ticks) is int
    assert got.limits() == REC.limits()


# ---------------------------------------------------------------- save


def expected_writes(limits):
    out = {}
    for n, lim_ in limits.limits().items():
        out[f"risk/{n}/enabled"] = lim_.enabled
        out[f"risk/{n}/value"] = float(lim_.value)
        out[f"risk/{n}/hard"] = lim_.hard
    out["risk/flatten_ticks"] = limits.flatten_ticks
    return out


def test_save_writes_exactly_the_keys_and_types_then_syncs():
    """save_limits writes each key once with its type (bool, float, int), then syncs."""
    limits = RiskLimits.recommended().with_limit("max_position", Limit(False, 800, False))
    s = FakeSettings()
    save_limits(s, limits)
    assert s.writes == expected_writes(limits)
    assert len(s.events) == 3 * 11 + 2 and s.events[-1] == ("sync",)
    assert [e[1] for e in s.events[:-1]] == [
        f"risk/{n}/{f}" for n in NAMES for f in ("enabled", "value", "hard")] + ["risk/flatten_ticks"]
    for key, v in s.writes.items():
        want = int if key == "risk/flatten_ticks" else float if key.endswith("/value") else bool
        assert type(v) is want, (key, v)


def test_save_converts_int_flags_and_int_values():
    """Flags given as ints are written as bools, whole values as floats."""
    s = FakeSettings()
    save_limits(s, RiskLimits(max_order_quantity=Limit(1, 250, 0), flatten_ticks=0))
    w = s.writes
    assert w["risk/max_order_quantity/enabled"] is True
    assert w["risk/max_order_quantity/hard"] is False
    assert w["risk/max_order_quantity/value"] == 250.0 and type(w["risk/max_order_quantity/value"]) is float
    assert w["risk/max_position/enabled"] is False and w["risk/max_position/hard"] is True
    assert w["risk/flatten_ticks"] == 0


def test_save_invalid_limits_raises_naming_every_problem_and_writes_nothing():
    """Invalid limits: ValueError listing every problem; nothing written, no sync."""
    bad = RiskLimits(max_position=Limit(True, -5), price_band_percent=Limit(True, 150, False),
                     flatten_ticks=1001)
    s = FakeSettings({"risk/max_position/value": 800.0})
    with pytest.raises(ValueError) as ei:
        save_limits(s, bad)
    assert str(ei.value) == ("Invalid risk limits: max position: the value must be positive, "
                             "got -5; price band percent: at most 100 %, got 150; flatten ticks: "
                             "a whole number from 0 to 1000, got 1001")
    assert s.events == [] and s.stored == {"risk/max_position/value": 800.0}


def test_save_without_sync_method():
    """Settings objects without a callable sync still get every value."""
    class NoSync:
        def __init__(self):
            self.d = {}
            self.sync = "not callable"

        def setValue(self, k, v):
            self.d[k] = v

    class Bare:
        def __init__(self):
            self.d = {}

        def setValue(self, k, v):
            self.d[k] = v

    for s in (NoSync(), Bare()):
        save_limits(s, REC)
        assert s.d == expected_writes(REC)


@pytest.mark.parametrize("limits", [
    REC, RiskLimits(), RiskLimits(flatten_ticks=0),
    RiskLimits(max_order_quantity=Limit(True, 250.5, False), max_order_notional=Limit(False, 0),
               max_position=Limit(True, 1, True), price_band_percent=Limit(True, 100, True),
               price_band_ticks=Limit(False, 3, False), duplicate_order=Limit(True, 0.5, True),
               max_orders_per_minute=Limit(True, 1, False), flatten_ticks=1000),
])
def test_round_trip_save_then_load(limits):
    """What is saved loads back equal, from the live settings and from an INI file's strings."""
    s = FakeSettings()
    save_limits(s, limits)
    assert load_limits(s) == limits
    assert load_limits(as_ini(s.stored)) == limits
