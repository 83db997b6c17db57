"""The live candlestick chart: ``ChartView`` widget and its fast pyqtgraph items.

Modules: ``view`` (ChartView), ``candles`` (CandleItem and the shared
bar-series base), ``volume`` (VolumeItem), ``axis`` (time axis, labels),
``merge`` (visible range and merging, pure numpy). The data side is
``app.viewmodels.chart.ChartViewModel``.
"""

from app.ui.chart.view import ChartView

__all__ = ["ChartView"]
