"""The one-folder desktop bundle (packaging/ibdesk.spec) runs where there is no Python.

The bundle is built here with PyInstaller from this checkout (about 40-60 s on 2 cores), or
the one named by ``IBDESK_BUNDLE`` (a built ``dist/ibdesk`` folder) is used as it is. It
then runs as a trader without Python would run it: an environment with nothing but HOME,
a UTF-8 locale and the offscreen platform, an empty PATH (no python, no venv), no
PYTHONPATH. ``ibdesk --screenshot`` exits 0 only when demo mode's simulated gateway (the
bundle's own executable, ``--run-sim-gateway``) started, the terminal connected and quotes
and the chart loaded (``app.application.take_screenshot``).

Skipped when PyInstaller is not installed (``pip install -e '.[package]'``) and no bundle is
given.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from app.simlauncher import READY_PREFIX, SIM_GATEWAY_ARG

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def bundle(tmp_path_factory) -> Path:
    """The bundle's folder (holding the ``ibdesk`` executable)."""
    given = os.environ.get("IBDESK_BUNDLE")
    if given:
        folder = Path(given).resolve()
        assert (folder / "ibdesk").is_file(), f"IBDESK_BUNDLE={given}: no ibdesk executable there"
        yield folder
        return
    if importlib.util.find_spec("PyInstaller") is None:
        pytest.skip("PyInstaller is not installed (pip install -e '.[package]'), and "
                    "IBDESK_BUNDLE does not name a built bundle (e.g. dist/ibdesk)")
    work = tmp_path_factory.mktemp("bundle")
    t0 = time.monotonic()
    built = subprocess.run(
        [sys.executable, "-m", "PyInstaller", "--noconfirm", "--log-level", "WARN",
         "--distpath", str(work / "dist"), "--workpath", str(work / "build"),
         str(ROOT / "packaging" / "ibdesk.spec")],
        cwd=ROOT, capture_output=True, text=True, timeout=840)
    assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-5000:]
    print(f"bundle built in {time.monotonic() - t0:.0f} s")
    yield work / "dist" / "ibdesk"
    shutil.rmtree(work, ignore_errors=True)     # ~200 MB


def clean_env(tmp_path: Path) -> dict[str, str]:
    """What a desktop without Python gives a program: a home, a locale, a screen (here the
    offscreen one), and a PATH with nothing on it."""
    home = tmp_path / "home"
    empty = tmp_path / "empty-path"
    home.mkdir()
    empty.mkdir()
    return {"HOME": str(home), "LANG": "C.UTF-8", "QT_QPA_PLATFORM": "offscreen",
            "PATH": str(empty)}


def test_the_bundle_has_its_desktop_entry_and_no_test_or_other_qt_packages(bundle):
    for name in ("ibdesk.desktop", "ibdesk.svg", "install-desktop-entry.sh"):
        assert (bundle / name).is_file(), name
    internal = bundle / "_internal"
    for absent in ("PyQt6", "PyQt5", "finplot", "pytest", "hypothesis", "ibapi", "PyInstaller"):
        assert not (internal / absent).exists(), absent
    platforms = {p.name for p in (internal / "PySide6" / "Qt" / "plugins" / "platforms").iterdir()}
    assert platforms == {"libqxcb.so", "libqoffscreen.so"}
    # app.broker.fastread checks ib_async's source before it installs its faster reader
    assert (internal / "ib_async" / "client.py").is_file()


def test_the_bundles_executable_is_also_its_simulated_gateway(bundle, tmp_path):
    gw = subprocess.Popen([str(bundle / "ibdesk"), SIM_GATEWAY_ARG, "--port", "0",
                           "--exit-on-stdin-eof"], env=clean_env(tmp_path),
                          stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True)
    try:
        line = gw.stdout.readline()
        assert line.startswith(READY_PREFIX), line + gw.stderr.read()
        gw.stdin.close()                     # the terminal's "parent gone" signal
        assert gw.wait(20) == 0
    finally:
        if gw.poll() is None:
            gw.kill()
            gw.wait()


#: glibc's own libraries, which a bundle never carries (PyInstaller's exclude list)
GLIBC = ("ld-linux", "libc.so", "libm.so", "libdl.so", "libpthread.so", "librt.so", "libutil.so")


def _children(pid: int) -> list[int]:
    kids = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        kids += [int(k) for k in (task / "children").read_text().split()]
    return kids


def _libraries(pid: int) -> set[str]:
    return {line.split()[-1] for line in Path(f"/proc/{pid}/maps").read_text().splitlines()
            if ".so" in line.rsplit("/", 1)[-1]}


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="needs Linux /proc")
def test_the_demo_gateway_child_loads_the_bundles_libraries(bundle, tmp_path):
    """The terminal gives its children the user's LD_LIBRARY_PATH (runtime hook), and starts
    its gateway as a new instance of the bundle: the gateway's libraries (sqlite3, ssl...)
    are the bundle's, not whatever the system has."""
    term = subprocess.Popen([str(bundle / "ibdesk")], env=clean_env(tmp_path),
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        gateway = None
        while gateway is None and time.monotonic() < deadline and term.poll() is None:
            kids = _children(term.pid)
            # its asyncio server is loaded: it is past its imports
            if kids and any("_asyncio" in lib for lib in _libraries(kids[0])):
                gateway = kids[0]
            time.sleep(0.2)
        assert gateway is not None, f"no gateway child (rc {term.poll()})"
        time.sleep(1)
        outside = {lib for lib in _libraries(gateway)
                   if not lib.startswith(str(bundle)) and not Path(lib).name.startswith(GLIBC)}
        assert not outside, f"the gateway loaded system libraries: {sorted(outside)}"
    finally:
        term.terminate()
        try:
            term.wait(20)
        except subprocess.TimeoutExpired:
            term.kill()
            term.wait()


def test_the_bundle_runs_demo_mode_headless_without_python(bundle, tmp_path):
    from PySide6.QtGui import QImage

    out = tmp_path / "out.png"
    t0 = time.monotonic()
    run = subprocess.run([str(bundle / "ibdesk"), "--screenshot", str(out)],
                         env=clean_env(tmp_path), capture_output=True, text=True, timeout=120)
    print(f"bundle started to live quotes and saved its screenshot in {time.monotonic() - t0:.1f} s")
    assert run.returncode == 0, run.stdout + run.stderr
    assert f"screenshot saved to {out}" in run.stdout
    # the gateway ran and ib_async's source was found (no fallback to its slower reader)
    assert "keeping ib_async's own socket reader" not in run.stderr, run.stderr
    image = QImage(str(out))
    assert not image.isNull()
    assert image.width() >= 640 and image.height() >= 480
    colours = {image.pixel(x, y) for x in range(0, image.width(), 7)
               for y in range(0, image.height(), 7)}
    assert len(colours) > 40, f"{len(colours)} colours: an empty window"
