"""Conformance driver over ib_insync 0.9.86 (the most-installed IB client library; it
negotiates server versions 157..176), run in a child process.

ib_insync cannot share this environment with ib_async (both ship a top-level ``eventkit``,
in different versions), so it runs in ``insync_child.py`` with the python of its own venv
(:func:`tests.conformance.insync_env.ensure_python`). One child serves the whole pytest
process (:class:`_Child`, started on first use, ended at exit or when its stdin closes);
each :class:`IbInsyncDriver` is a session in it with its own ``ib_insync.IB`` and event loop.

``IbInsyncDriver`` offers the neutral API of :mod:`tests.conformance.common` through
:class:`~tests.conformance.iblike_driver.IbLikeDriver`, like
:class:`~tests.conformance.ib_async_driver.IbAsyncDriver`: the child runs the same
:class:`tests.conformance.iblike.Session` with ib_insync and answers with plain JSON values of
what ib_insync decoded; ``IbLikeDriver`` turns them into the neutral shapes. Every callback
ib_insync's decoder made is recorded in the child and mirrored here on demand as a
:class:`~tests.conformance.ibapi_driver.Callback` with JSON arguments (``events()``), from
which errors and order statuses are read. Failures raise :class:`ClientError` (IB code) or
``TimeoutError`` as in the other drivers; a dead child raises :class:`ChildError` with the
tail of its log.
"""

from __future__ import annotations

import atexit
import builtins
import concurrent.futures
import itertools
import json
import os
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from tests.conformance.common import ClientError
from tests.conformance.ibapi_driver import Callback
from tests.conformance.iblike_driver import IbLikeDriver
from tests.conformance.insync_env import child_env, ensure_python

CHILD = Path(__file__).with_name("insync_child.py")
#: seconds this side waits for any one answer of the child (its own requests time out sooner)
ANSWER_TIMEOUT = 45.0
#: seconds to wait for the child's "ready" line (imports ib_insync)
START_TIMEOUT = 30.0


class ChildError(RuntimeError):
    """The ib_insync child process failed (died, did not start, broke the protocol, or raised
    an unexpected exception, whose traceback the message carries)."""


class _Child:
    """The ib_insync child process of this pytest process: JSON-lines requests, answers matched
    by id on a reader thread. Use :meth:`shared`."""

    _shared: "_Child | None" = None
    _shared_lock = threading.Lock()

    @classmethod
    def shared(cls) -> "_Child":
        """The running child, started (and its venv made) on first use. Raises
        :class:`~tests.conformance.insync_env.InsyncEnvError` / :class:`ChildError`."""
        with cls._shared_lock:
            if cls._shared is None or not cls._shared.alive():
                cls._shared = cls()
                atexit.register(cls._shared.close)
            return cls._shared

    def __init__(self):
        python = ensure_python()
        t0 = time.monotonic()
        fd, self.log_path = tempfile.mkstemp(prefix="ib_insync-child-", suffix=".log")
        self._log = os.fdopen(fd, "wb")
        self.proc = subprocess.Popen([str(python), "-s", str(CHILD)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=self._log, env=child_env(), cwd=str(CHILD.parent))
        self._ids = itertools.count(1)
        self._pending: dict[int, concurrent.futures.Future] = {}
        self._lock = threading.Lock()
        self._ready: concurrent.futures.Future = concurrent.futures.Future()
        self._reader = threading.Thread(target=self._read, name="ib_insync-child-reader", daemon=True)
        self._reader.start()
        try:
            self.info = self._ready.result(START_TIMEOUT)
        except concurrent.futures.TimeoutError:
            self.close()
            raise ChildError(f"ib_insync child did not start in {START_TIMEOUT:.0f} s: {self.log_tail()}") from None
        #: seconds from spawning the child to its "ready" line
        self.start_seconds = time.monotonic() - t0

    def alive(self) -> bool:
        """True while the child process runs."""
        return self.proc.poll() is None

    def log_tail(self, n: int = 3000) -> str:
        """The last ``n`` characters of the child's log (its stderr)."""
        try:
            return Path(self.log_path).read_text(errors="replace")[-n:]
        except OSError:
            return ""

    def _read(self) -> None:
        for raw in self.proc.stdout:
            try:
                msg = json.loads(raw)
            except ValueError:
                continue
            if msg.get("ready"):
                self._ready.set_result(msg)
                continue
            with self._lock:
                fut = self._pending.pop(msg.get("id"), None)
            if fut is not None:
                fut.set_result(msg)
        err = ChildError(f"ib_insync child exited (code {self.proc.wait()}): {self.log_tail()}")
        if not self._ready.done():
            self._ready.set_exception(err)
        with self._lock:
            pending, self._pending = list(self._pending.values()), {}
        for fut in pending:
            fut.set_exception(err)

    def send(self, sid: int | None, method: str, a: tuple = (), kw: dict | None = None) -> concurrent.futures.Future:
        """Send one request; the future resolves to the child's answer (a dict)."""
        rid = next(self._ids)
        fut: concurrent.futures.Future = concurrent.futures.Future()
        line = json.dumps({"id": rid, "s": sid, "m": method, "a": list(a), "k": kw or {}}) + "\n"
        with self._lock:
            if not self.alive():
                raise ChildError(f"ib_insync child is not running: {self.log_tail()}")
            self._pending[rid] = fut
            self.proc.stdin.write(line.encode())
            self.proc.stdin.flush()
        return fut

    @staticmethod
    def result(fut: concurrent.futures.Future, method: str, timeout: float = ANSWER_TIMEOUT) -> Any:
        """The value of an answer, or the exception it carries: ClientError (IB code),
        TimeoutError, NotImplementedError, a builtin ConnectionError (refused, reset ...) as
        such; anything else as ChildError with the child's traceback."""
        try:
            msg = fut.result(timeout)
        except concurrent.futures.TimeoutError:
            raise TimeoutError(f"ib_insync child: no answer to {method} in {timeout:.0f} s") from None
        if "e" not in msg:
            return msg.get("r")
        kind, text = msg["e"], msg.get("text", "")
        if kind == "ClientError":
            raise ClientError(msg["code"], text)
        exc = getattr(builtins, kind, None)
        if isinstance(exc, type) and issubclass(exc, (TimeoutError, NotImplementedError, ConnectionError)):
            raise exc(text)
        raise ChildError(f"{method}: {kind}: {text}\n{msg.get('tb', '')}")

    def request(self, sid: int | None, method: str, *a, **kw) -> Any:
        """Send one request and wait for its answer (see :meth:`result`)."""
        return self.result(self.send(sid, method, a, kw), method)

    def close(self) -> None:
        """End the child: close its input (it disconnects every session and exits), then kill
        it if it lingers; removes the log file."""
        if self.proc.poll() is None:
            try:
                self.proc.stdin.close()
            except OSError:
                pass
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self._log.close()
        try:
            os.unlink(self.log_path)
        except OSError:
            pass


class IbInsyncDriver(IbLikeDriver):
    """ib_insync in the shared child process; the neutral request API of
    :class:`~tests.conformance.iblike_driver.IbLikeDriver`, each request a call of this
    driver's session in the child."""

    name = "ib_insync"

    def __init__(self, timeout: float = 3.0):
        super().__init__(timeout)
        self._child = _Child.shared()
        self._sid: int = self._child.request(None, "open", timeout=timeout)
        self._closing: concurrent.futures.Future | None = None
        self._final_problems: list[str] | None = None

    # ------------------------------------------------------------------ plumbing
    def rpc(self, method: str, *a, **kw) -> Any:
        """Call the session method ``method`` in the child; its plain JSON result."""
        if self._closing is not None:
            raise ConnectionError(f"ib_insync driver is disconnected ({method})")
        return self._child.request(self._sid, method, *a, **kw)

    def _sync(self) -> None:
        """Append the callbacks the child recorded since the last call (after :meth:`disconnect`:
        those it handed over on closing the session); their arguments are JSON values
        (objects as dicts of their fields)."""
        if self._closing is None:
            super()._sync()
        else:
            self.join()

    # ------------------------------------------------------------------ session
    def decode_problems(self) -> list[str]:
        """ERROR logs of ib_insync's decoder in this session's loop thread ("Error handling
        fields", "Error for <callback>", with the exception), and of its wrapper for a tick
        value it could not parse."""
        if self._closing is not None:
            self.join()
            return list(self._final_problems or [])
        return self.rpc("decode_problems")

    def disconnect(self, wait: bool = True) -> None:
        """End the session (ib_insync disconnects, its loop stops); with ``wait`` for the child's
        answer, else that is left to :meth:`join`. The shared child keeps running."""
        if self._closing is None:
            self._closing = self._child.send(self._sid, "close", (len(self.log),))
        if wait:
            self.join()

    def join(self, timeout: float = 5.0) -> None:
        """Wait until the child has closed the session (see :meth:`disconnect`)."""
        if self._closing is not None and self._final_problems is None:
            r = self._child.result(self._closing, "close", timeout)
            self.log += [Callback(name, args, t) for name, args, t in r["log"]]
            self._final_problems = r["problems"]

    def is_connected(self) -> bool:
        """ib_insync's isConnected (False after :meth:`disconnect`)."""
        return False if self._closing is not None else self.rpc("is_connected")
