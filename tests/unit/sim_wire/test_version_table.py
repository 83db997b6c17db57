"""docs/simulator.md's table of version gates names every message the simulated gateway sends
(issue 15): a message added to an encoder without a row (its gates checked, or "no gate"
stated) fails here.

The messages sent are the module constants of ``app.sim.encode*`` that carry an ibapi
``message.IN`` name and value and are used beyond their definition."""

from __future__ import annotations

import importlib
import pathlib
import re

import ibapi.message as ibmsg

ROOT = pathlib.Path(__file__).resolve().parents[3]
ENCODERS = ("app.sim.encode", "app.sim.encode_market", "app.sim.encode_options",
            "app.sim.encode_orders", "app.sim.encode_scanner")
#: the simulator's name where ibapi renamed a message since
ALIASES = {"COMMISSION_REPORT": "COMMISSION_AND_FEES_REPORT"}
REQUEST_WORDS = ("req", "cancel", "place", "calculate", "start")


def sent_message_ids() -> dict[int, str]:
    """{message id: constant name} of every server message an encoder builds."""
    incoming = {k: int(v) for k, v in vars(ibmsg.IN).items() if k.isupper()}
    sent: dict[int, str] = {}
    for name in ENCODERS:
        mod = importlib.import_module(name)
        src = pathlib.Path(mod.__file__).read_text()
        for const, value in vars(mod).items():
            ib_name = ALIASES.get(const, const)
            if (isinstance(value, int) and incoming.get(ib_name) == value
                    and len(re.findall(rf"\b{const}\b", src)) > 1):
                sent[value] = const
    return sent


def table_message_ids(text: str) -> set[int]:
    """Ids of the server messages named in the first column of the version table, written
    ``name (id)`` or ``name (id, id)``; request rows (``placeOrder (request 3)``,
    ``cancelPnL (93)``...) are left out."""
    section = text.split("## Server versions", 1)[1].split("\n## ", 1)[0]
    ids: set[int] = set()
    for line in section.splitlines():
        if not line.startswith("| ") or line.startswith("| message") or line.startswith("|---"):
            continue
        first = line.split("|")[1]
        for name, numbers in re.findall(r"([A-Za-z*][\w*]*)\s*\(([^)]*)\)", first):
            if "request" in numbers or name.startswith(REQUEST_WORDS):
                continue
            ids.update(int(n) for n in re.findall(r"\d+", numbers))
    return ids


def test_every_sent_message_has_a_row():
    sent = sent_message_ids()
    assert len(sent) >= 50                 # the scan itself found the encoders' messages
    documented = table_message_ids((ROOT / "docs" / "simulator.md").read_text())
    missing = {f"{name} ({i})" for i, name in sent.items() if i not in documented}
    assert not missing, f"docs/simulator.md's version table has no row for {sorted(missing)}"


def test_the_table_parser_skips_requests_and_reads_id_lists():
    text = ("## Server versions\n| message (id) | gate | tests |\n|---|---|---|\n"
            "| mktDepth (12, 13), openOrder (5) | x | y |\n"
            "| placeOrder (request 3), cancelPnL (93), reqIds (8) | x | y |\n## Next\n| pnl (94) | |\n")
    assert table_message_ids(text) == {12, 13, 5}
