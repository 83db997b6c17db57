"""``--universe N``: generated stocks resolve through an unmodified ib_async client, stream in
firehose mode, and bad sizes are refused by the CLI."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from ib_async import IB, Stock

from app.sim.instruments import SYNTH_CON_ID_BASE
from app.sim.server import GatewayThread
from tests.integration.sim_support import arun, next_client_id, rth_start_time, wait_for

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.timeout(60)


def test_generated_stock_resolves_and_streams_through_ib_async():
    with GatewayThread(start_time=rth_start_time(), universe=500, firehose=(500, 2000.0)) as gw:
        async def go():
            ib = IB()
            await ib.connectAsync("127.0.0.1", gw.port, clientId=next_client_id(), timeout=5)
            try:
                (cd,) = await ib.reqContractDetailsAsync(Stock("S0400", "SMART", "USD"))
                assert cd.contract.conId == SYNTH_CON_ID_BASE + 400
                assert cd.contract.primaryExchange == "NASDAQ"
                assert cd.longName == "Synthetic Stock 0400"
                t = ib.reqMktData(cd.contract)
                seen = set()
                assert await wait_for(lambda: seen.add((t.bidSize, t.askSize)) or len(seen) > 3, 5)  # sizes redrawn
            finally:
                ib.disconnect()

        arun(go())


@pytest.mark.parametrize("n", ["-1", "5001", "many"])
def test_bad_universe_exits_2(n):
    r = subprocess.run([sys.executable, "-m", "app.sim", "--universe", n], cwd=ROOT,
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 2, r.stderr
    assert "--universe" in r.stderr and "LISTENING" not in r.stdout


def test_firehose_beyond_the_default_universe_needs_universe():
    r = subprocess.run([sys.executable, "-m", "app.sim", "--firehose", "500", "1000"], cwd=ROOT,
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 2 and "--firehose" in r.stderr
