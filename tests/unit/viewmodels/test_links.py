"""Link groups (TWS colour grouping) without widgets: who follows whom."""

from __future__ import annotations

import pytest

from app.domain import Instrument
from app.viewmodels.links import DEFAULT_COLOUR, LinkGroups

AAPL = Instrument("AAPL", con_id=265598)
MSFT = Instrument("MSFT", con_id=272093)


def _groups(qtbot=None):
    got: dict[str, list[str]] = {}
    links = LinkGroups()

    def member(name, colour=DEFAULT_COLOUR, follows=True):
        got[name] = []
        links.add(name, (lambda inst, n=name: got[n].append(inst.symbol)) if follows else None, colour)
    return links, got, member


def test_a_selection_reaches_every_other_member_of_its_colour_only():
    links, got, member = _groups()
    member("watchlist")
    member("chart1")
    member("ticket")
    member("chart2", "blue")
    member("ladder", "")
    assert sorted(links.select("watchlist", AAPL)) == ["chart1", "ticket"]
    assert got == {"watchlist": [], "chart1": ["AAPL"], "ticket": ["AAPL"], "chart2": [], "ladder": []}
    assert links.current("red") == AAPL and links.current("blue") is None


def test_an_unlinked_member_neither_drives_nor_follows():
    links, got, member = _groups()
    member("watchlist")
    member("chart2", "")
    assert links.select("chart2", MSFT) == []
    assert got["watchlist"] == []
    links.select("watchlist", AAPL)
    assert got["chart2"] == []


def test_joining_a_colour_loads_its_symbol_and_leaving_keeps_it():
    links, got, member = _groups()
    member("watchlist")
    member("chart2", "")
    links.select("watchlist", AAPL)
    changes = []
    links.colourChanged.connect(lambda n, c: changes.append((n, c)))
    links.set_colour("chart2", "red")
    assert got["chart2"] == ["AAPL"] and changes == [("chart2", "red")]
    links.set_colour("chart2", "")
    links.select("watchlist", MSFT)
    assert got["chart2"] == ["AAPL"]
    links.set_colour("chart2", "blue")       # blue never selected: nothing to load
    assert got["chart2"] == ["AAPL"]


def test_a_follower_that_selects_again_does_not_loop():
    links = LinkGroups()
    calls = []

    def watchlist_follow(inst):      # a watchlist that follows by selecting its row re-emits
        calls.append(("watchlist", inst.symbol))
        assert links.select("watchlist", inst) == []
    links.add("watchlist", watchlist_follow)
    links.add("chart1", lambda inst: calls.append(("chart1", inst.symbol)))
    links.select("chart1", MSFT)
    assert calls == [("watchlist", "MSFT")]


def test_a_failing_follower_does_not_stop_the_others():
    links, got, member = _groups()
    links.add("broken", lambda inst: 1 / 0)
    member("chart1")
    member("watchlist")
    assert sorted(links.select("watchlist", AAPL)) == ["broken", "chart1"]
    assert got["chart1"] == ["AAPL"]


def test_load_gives_a_colour_its_first_symbol():
    links, got, member = _groups()
    member("watchlist")
    member("chart2", "blue")
    assert links.load("blue", MSFT) == ["chart2"] and got["watchlist"] == []


def test_state_round_trip_and_bad_colours():
    links, got, member = _groups()
    member("watchlist")
    member("chart1")
    links.set_colour("chart1", "GREEN")
    assert links.state() == {"watchlist": "red", "chart1": "green"}
    other, _, m2 = _groups()
    m2("watchlist")
    m2("chart1")
    assert other.restore({"chart1": "green", "watchlist": "magenta", "gone": "red"}) == [
        "watchlist: Unknown link colour 'magenta': use one of red, green, blue, yellow, purple, "
        "orange or none"]
    assert other.state() == {"watchlist": "red", "chart1": "green"}
    with pytest.raises(ValueError, match="Unknown link colour 'pink'"):
        links.set_colour("chart1", "pink")
    with pytest.raises(ValueError, match="exists already"):
        links.add("chart1", None)
    with pytest.raises(KeyError):
        links.set_colour("nobody", "red")
