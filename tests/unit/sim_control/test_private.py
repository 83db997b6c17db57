"""One gateway per state file (StateLock), private files and folders, the admin token."""

from __future__ import annotations

import asyncio
import os
import stat

import pytest

from app.sim.control import NOT_AUTHENTICATED, AdminController, AdminServer, is_loopback
from app.sim.private import StateFileBusy, StateLock, private_dir, runtime_dir, write_token_file
from app.simlauncher import default_state_path


def mode(p) -> int:
    return stat.S_IMODE(os.stat(p).st_mode)


def test_second_lock_on_one_state_file_is_refused_with_the_holders_pid(tmp_path):
    state = tmp_path / "s.sqlite"
    with StateLock(state) as first:
        with pytest.raises(StateFileBusy) as e:
            StateLock(state).acquire()
        assert e.value.pid == os.getpid() and str(state) in str(e.value)
        assert "another file" in str(e.value) and mode(first.path) == 0o600
    with StateLock(state):                           # released: free again
        pass
    with StateLock(tmp_path / "other.sqlite"):       # another file is independent
        with StateLock(state):
            pass


def test_gateway_thread_refuses_a_state_file_in_use(tmp_path):
    from app.sim.server import GatewayThread

    state = str(tmp_path / "s.sqlite")
    with GatewayThread(seed=7, state_path=state):
        with pytest.raises(StateFileBusy):
            GatewayThread(seed=7, state_path=state)
    with GatewayThread(seed=7, state_path=state):    # stop() released it
        pass


def test_private_dir_and_token_file_modes(tmp_path):
    d = private_dir(tmp_path / "a" / "b")
    assert mode(d) == 0o700
    loose = tmp_path / "loose"
    loose.mkdir(mode=0o755)
    os.chmod(loose, 0o755)
    assert mode(private_dir(loose)) == 0o755                 # a folder of the user's choice stays
    assert mode(private_dir(loose, tighten=True)) == 0o700   # ibdesk's own data folder is tightened
    tok = write_token_file("secret", str(d / "s.sqlite"), 5555)
    assert tok == d / "s.sqlite.admin-token" and mode(tok) == 0o600 and tok.read_text() == "secret\n"
    rt = runtime_dir({"XDG_RUNTIME_DIR": str(tmp_path)})
    assert rt == tmp_path / "ibdesk" and mode(rt) == 0o700
    t2 = write_token_file("x", None, 4242, {"XDG_RUNTIME_DIR": str(tmp_path)})
    assert t2 == rt / "sim-admin-4242.token" and mode(t2) == 0o600


def test_default_state_file_is_per_profile():
    env = {"XDG_DATA_HOME": "/data"}
    assert default_state_path(env).name == "sim-state.sqlite"
    assert default_state_path(env, profile="desk2").name == "sim-state-desk2.sqlite"
    with pytest.raises(ValueError):
        default_state_path(env, profile="../evil")


def test_cli_default_sim_state_follows_the_profile(monkeypatch, tmp_path):
    from app.cli import parse_args

    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    assert parse_args([]).sim_state == tmp_path / "ibdesk" / "sim-state.sqlite"
    assert parse_args(["--profile", "desk2"]).sim_state == tmp_path / "ibdesk" / "sim-state-desk2.sqlite"


class _Gw:                               # the little a controller needs for 'help'
    connections: set = set()

    def flush_deferred(self):
        pass


def test_admin_tcp_session_needs_the_token():
    async def go():
        srv = AdminServer(AdminController(_Gw()), token="tok-123")
        port = await srv.start(0)
        try:
            async def session(lines: list[str]) -> list[str]:
                r, w = await asyncio.open_connection("127.0.0.1", port)
                w.write("".join(x + "\n" for x in lines).encode())
                await w.drain()
                w.write_eof()
                out = (await asyncio.wait_for(r.read(), 5)).decode().splitlines()
                w.close()
                return out

            no = await session(["help", "status"])
            assert len(no) == 2 and all(x.startswith(NOT_AUTHENTICATED) for x in no)
            wrong = await session(["auth nope", "help"])          # closed after a wrong token
            assert wrong == [f"{NOT_AUTHENTICATED}: wrong token"]
            ok = await session(["auth tok-123", "help", "quit"])
            assert ok[0] == "OK authenticated" and ok[1].startswith("OK commands") and ok[2] == "OK bye"
        finally:
            await srv.stop()

    asyncio.run(go())


def test_gateway_thread_admin_token_found_by_port_in_process():
    from app.sim.control import local_admin_token
    from app.sim.server import GatewayThread
    from tests.integration.sim_support import admin_command

    with GatewayThread(seed=7, admin_port=0) as g:
        assert local_admin_token(g.admin_port) == g.admin_token
        assert admin_command(g.admin_port, "status").startswith("OK port=")
        assert admin_command(g.admin_port, "status", token="bad").startswith("ERR not authenticated")
        port = g.admin_port
    assert local_admin_token(port) is None


def test_admin_listens_on_loopback_only():
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.2")
    with pytest.raises(ValueError):
        AdminServer(AdminController(_Gw()), host="0.0.0.0")
