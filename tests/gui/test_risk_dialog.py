"""RiskDialog: shows stored limits, validates with a clear message, OK writes through risk_settings."""

from PySide6.QtCore import QSettings

from app.commands import Limit, RiskLimits
from app.commands.risk_settings import load_limits, save_limits
from app.ui.risk_dialog import RiskDialog


def _settings(tmp_path):
    return QSettings(str(tmp_path / "risk.ini"), QSettings.IniFormat)


def test_defaults_shown_edit_and_save(qtbot, tmp_path):
    st = _settings(tmp_path)
    d = RiskDialog(st)
    qtbot.addWidget(d)
    assert d.limits() == RiskLimits.recommended()
    d.values["max_order_quantity"].setValue(250)
    d.modes["duplicate_order"].setCurrentIndex(0)
    d.enabled["price_band_ticks"].setChecked(False)
    assert not d.values["price_band_ticks"].isEnabled()
    d.accept()
    assert d.result() == RiskDialog.Accepted
    got = load_limits(_settings(tmp_path))
    assert got.max_order_quantity == Limit(True, 250, True)
    assert got.duplicate_order.hard and not got.price_band_ticks.enabled


def test_invalid_value_keeps_dialog_open_with_message(qtbot, tmp_path):
    st = _settings(tmp_path)
    d = RiskDialog(st)
    qtbot.addWidget(d)
    d.values["max_position"].setValue(-5)
    d.flatten_ticks.setValue(-1)
    d.accept()
    assert d.result_limits is None and not d.problem.isHidden()
    assert "Max position: the value must be positive, got -5" in d.problem.text()
    assert "Flatten ticks: a whole number from 0 to 1000, got -1" in d.problem.text()
    assert load_limits(_settings(tmp_path)) == RiskLimits.recommended()


def test_settings_round_trip_and_corrupt_values_fall_back(tmp_path):
    st = _settings(tmp_path)
    lim = RiskLimits.recommended().with_limit("max_order_notional", Limit(False, 5e5, False))
    save_limits(st, lim)
    assert load_limits(_settings(tmp_path)) == lim
    st.setValue("risk/max_order_quantity/value", "garbage")
    st.setValue("risk/max_position/value", -3)
    got = load_limits(st)
    assert got.max_order_quantity == RiskLimits.recommended().max_order_quantity
    assert got.max_position == RiskLimits.recommended().max_position


def test_values_read_as_a_trader_writes_them(qtbot, tmp_path):
    """Shares and notional with separators and no ".00" ("1,000", "100,000"), seconds and
    percent without trailing zeros ("2", "5"), and a typed "2.5" or "12,500" is taken as is."""
    d = RiskDialog(_settings(tmp_path))
    qtbot.addWidget(d)
    shown = {name: d.values[name].text() for name in ("max_order_quantity", "max_order_notional",
                                                      "max_position", "price_band_percent",
                                                      "duplicate_order")}
    assert shown == {"max_order_quantity": "1,000", "max_order_notional": "100,000",
                     "max_position": "5,000", "price_band_percent": "5", "duplicate_order": "2"}
    for name, typed, value in (("duplicate_order", "2.5", 2.5), ("max_order_notional", "12,500", 12500),
                               ("max_position", "0.25", 0.25)):
        spin = d.values[name]
        spin.lineEdit().selectAll()
        qtbot.keyClicks(spin, typed)
        spin.interpretText()
        assert spin.value() == value, (name, spin.text())
