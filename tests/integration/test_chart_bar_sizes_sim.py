"""Every bar size of the chart, as the chart asks for it (``Session.history`` with the bar size's
duration from ``app.domain.bars`` and keepUpToDate where IB allows it), through the real ib_async
client against the simulated gateway (issue 14 item 18)."""

from __future__ import annotations

from collections import Counter

import pytest

from app.broker import HistoryError
from app.domain.bars import BAR_SIZES, keeps_up_to_date
from tests.integration.test_broker_sim import gw, run  # noqa: F401  (the module's gateway fixture)

# seconds bars: one contract each (IB paces 6+ small-bar requests per contract in 2 s)
SYMBOL = {"1 secs": "MSFT", "5 secs": "NVDA", "10 secs": "IBM", "15 secs": "KO", "30 secs": "XOM"}


@pytest.mark.parametrize("bar_size", list(BAR_SIZES))
def test_chart_request_of_every_bar_size(gw, bar_size):  # noqa: F811
    secs = BAR_SIZES[bar_size][0]
    live = keeps_up_to_date(bar_size)

    async def body(s):
        inst = await s.resolve(SYMBOL.get(bar_size, "AAPL"))
        sub_id, df = await s.history(inst, bar_size, keep_up_to_date=live)
        if live:
            s.cancel_history(sub_id)
        return df

    df = run(body, gw)
    assert len(df) >= 2, bar_size
    t = df["time"].astype("int64") // 10**9
    assert t.is_monotonic_increasing and t.is_unique
    if secs < 86400:
        gaps = Counter(int(b - a) for a, b in zip(t, t[1:]))
        assert gaps.most_common(1)[0][0] == secs, gaps.most_common(3)


def test_a_pair_tws_refuses_is_refused_before_sending(gw):  # noqa: F811
    async def body(s):
        inst = await s.resolve("AAPL")
        with pytest.raises(HistoryError) as ei:
            await s.history(inst, "5 secs", "1 D", keep_up_to_date=False)
        assert ei.value.code == 162 and "invalid step: 5" in str(ei.value)
        with pytest.raises(ValueError, match="5 secs or more"):
            await s.history(inst, "1 secs", keep_up_to_date=True)

    run(body, gw)
