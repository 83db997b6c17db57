"""Named layout files: names, atomic save, readable JSON, clear errors for bad files."""

from __future__ import annotations

import json

import pytest
from PySide6.QtCore import QSettings

from app.ui.layouts import LayoutError, LayoutStore, check_name, layouts_folder


def test_save_load_names_delete(tmp_path):
    store = LayoutStore(tmp_path / "p.layouts")
    assert store.names() == []
    path = store.save("Scalping", {"window": {"width": 1280}, "links": {"chart1": "blue"}})
    assert path == tmp_path / "p.layouts" / "Scalping.json"
    doc = json.loads(path.read_text())      # readable JSON, indented
    assert doc["format"] == "ibdesk-layout" and doc["version"] == 1 and doc["name"] == "Scalping"
    assert doc["links"] == {"chart1": "blue"} and doc["saved"].endswith("Z")
    assert "\n  " in path.read_text()
    store.save("after hours", {})
    assert store.names() == ["after hours", "Scalping"]
    assert store.load("Scalping")["window"] == {"width": 1280}
    store.delete("Scalping")
    assert store.names() == ["after hours"]
    assert not list((tmp_path / "p.layouts").glob(".layout-*"))   # no temp file left
    with pytest.raises(LayoutError, match="No layout named 'Scalping'"):
        store.delete("Scalping")


@pytest.mark.parametrize("name, why", [
    ("", "needs a name"), ("   ", "needs a name"), ("../evil", "letters, digits"),
    ("a/b", "letters, digits"), (".hidden", "letters, digits"), ("x" * 41, "up to 40"),
])
def test_bad_names_are_refused(tmp_path, name, why):
    with pytest.raises(LayoutError, match=why):
        LayoutStore(tmp_path).save(name, {})
    assert list(tmp_path.iterdir()) == []


def test_damaged_or_foreign_files_say_which_file_and_why(tmp_path):
    store = LayoutStore(tmp_path)
    (tmp_path / "broken.json").write_text("{not json")
    (tmp_path / "other.json").write_text('{"a": 1}')
    (tmp_path / "future.json").write_text('{"format": "ibdesk-layout", "version": 9}')
    with pytest.raises(LayoutError, match=r"'broken' cannot be read .*broken.json"):
        store.load("broken")
    with pytest.raises(LayoutError, match="is not an ibdesk layout"):
        store.load("other")
    with pytest.raises(LayoutError, match="has version 9; this ibdesk reads version 1"):
        store.load("future")
    with pytest.raises(LayoutError, match="No layout named 'nothing'"):
        store.load("nothing")


def test_folder_sits_beside_the_profile_ini(tmp_path):
    s = QSettings(str(tmp_path / "paper.ini"), QSettings.IniFormat)
    assert layouts_folder(s) == tmp_path / "paper.layouts"
    assert check_name("  Day 2 ") == "Day 2"
