"""The soak run's consistency checks: the terminal's view (``Session`` + ``OrderCommands``)
against the gateway's truth (a referee :class:`~tests.soak.referee.Snapshot`), and the
gateway's truth before and after a restart / ``kill -9``.

Every function returns a list of :class:`Problem` (empty = consistent); nothing raises.
``Problem.key`` identifies the object (a permId, an orderId...) so the same problem seen in
several polls or cycles is recognised.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from typing import Any, Iterable

from tests.soak.referee import WORKING, GwOrder, Snapshot

#: statuses that mean "waiting for the gateway" (IB's pending states)
PENDING = {"ApiPending", "PendingSubmit", "PendingCancel"}
#: terminal statuses equal to a gateway status
SAME_STATUS = {"ApiCancelled": "Cancelled"}
#: rules of a refused modify/cancel that mean "the terminal still waits for the gateway"
BLOCKING_RULES = {"pending", "stale_order_id"}


@dataclass(frozen=True)
class Problem:
    check: str      # duplicate_perm_id, order_missing, status_mismatch, ...
    key: str        # what it is about ("perm 123", "order 5", "AAPL", "USD")
    detail: str     # terminal vs gateway, in words


def _status(rec) -> str:
    s = getattr(rec.status, "value", str(rec.status))
    return SAME_STATUS.get(s, s)


def _same_price(a: float | None, b: float | None) -> bool:
    a = None if a is None or (isinstance(a, float) and math.isnan(a)) else a
    b = None if b is None or (isinstance(b, float) and math.isnan(b)) else b
    if a is None or b is None:
        return a is None and b is None
    return abs(a - b) <= 1e-6 * max(1.0, abs(b))


def ref_order_id(ref: str) -> int | None:
    """The orderId in an ibdesk orderRef ``ibdesk-<tag>-<orderId>`` (None for other refs)."""
    if not ref or not ref.startswith("ibdesk-"):
        return None
    try:
        return int(ref.rsplit("-", 1)[1])
    except ValueError:
        return None


def _fmt(rec) -> str:
    return (f"order {rec.order_id} perm {rec.perm_id} {rec.action.value} {rec.quantity:g} "
            f"lmt {rec.limit_price} stp {rec.stop_price} {_status(rec)} filled {rec.filled:g}")


def _fmt_gw(o: GwOrder) -> str:
    return (f"order {o.order_id} perm {o.perm_id} {o.action} {o.quantity:g} lmt {o.limit_price} "
            f"stp {o.stop_price} {o.status} filled {o.filled}")


def terminal_vs_gateway(session: Any, commands: Any, snap: Snapshot, *,
                        con_ids: Iterable[int] = ()) -> list[Problem]:
    """Orders, duplicates, pending marks, positions, cash and executions of the terminal
    (``session``: the real Session; ``commands``: its OrderCommands) against ``snap``."""
    out: list[Problem] = []
    cid = session.client_id
    recs = session.orders()
    own = [r for r in recs if r.client_id == cid]

    # -- duplicates inside the terminal
    for perm, n in Counter(r.perm_id for r in recs if r.perm_id).items():
        if n > 1:
            out.append(Problem("duplicate_perm_id", f"perm {perm}",
                               f"{n} records: " + "; ".join(_fmt(r) for r in recs if r.perm_id == perm)))
    for (c, oid), n in Counter((r.client_id, r.order_id) for r in recs if r.order_id > 0).items():
        if n > 1:
            out.append(Problem("duplicate_order_id", f"client {c} order {oid}", f"{n} records"))

    by_perm = {r.perm_id: r for r in own if r.perm_id}
    by_oid = {r.order_id: r for r in own if r.order_id > 0}
    gw_all = {**snap.completed, **snap.open_orders}
    gw_by_ref_oid = {}
    for o in gw_all.values():
        oid = ref_order_id(getattr(o, "order_ref", ""))
        if oid is not None:
            gw_by_ref_oid[oid] = o

    # -- every working order of this client at the gateway, as the terminal shows it
    for perm, o in snap.open_orders.items():
        if o.client_id != cid:
            continue
        rec = by_perm.get(perm) or by_oid.get(o.order_id or -1)
        if rec is None:
            out.append(Problem("order_missing", f"perm {perm}",
                               f"gateway has {_fmt_gw(o)}; the terminal has no such order"))
            continue
        diffs = []
        if _status(rec) != o.status:
            diffs.append(f"status {_status(rec)} vs {o.status}")
        if abs(rec.quantity - o.quantity) > 1e-9:
            diffs.append(f"quantity {rec.quantity:g} vs {o.quantity:g}")
        if not _same_price(rec.limit_price, o.limit_price):
            diffs.append(f"limit {rec.limit_price} vs {o.limit_price}")
        if not _same_price(rec.stop_price, o.stop_price):
            diffs.append(f"stop {rec.stop_price} vs {o.stop_price}")
        if o.filled is not None and abs((rec.filled or 0.0) - o.filled) > 1e-9:
            diffs.append(f"filled {rec.filled:g} vs {o.filled:g}")
        if rec.perm_id != perm:
            diffs.append(f"permId {rec.perm_id} vs {perm}")
        if diffs:
            check = "status_mismatch" if diffs[0].startswith("status") else "field_mismatch"
            out.append(Problem(check, f"perm {perm}",
                               "terminal vs gateway: " + ", ".join(diffs) + f" (terminal {_fmt(rec)})"))
        elif o.status not in PENDING:
            out.extend(_pending_marks(session, commands, rec, o))

    # -- every order of this client in the terminal, against the gateway
    for rec in own:
        gw = (gw_all.get(rec.perm_id) if rec.perm_id else None) or gw_by_ref_oid.get(rec.order_id)
        if gw is None and rec.order_id > 0:
            gw = next((o for o in snap.open_orders.values()
                       if o.client_id == cid and o.order_id == rec.order_id), None)
        st = _status(rec)
        if gw is None:
            if rec.is_working or st == "Unknown":
                out.append(Problem("pending_not_shared", f"order {rec.order_id}",
                                   f"terminal shows {_fmt(rec)} but the gateway has no such order "
                                   "(open or completed)"))
            continue
        if gw.perm_id in snap.open_orders and gw.client_id == cid:
            continue  # compared above
        # the gateway has it completed
        if st != gw.status:
            out.append(Problem("status_mismatch", f"perm {gw.perm_id}",
                               f"terminal {_fmt(rec)} vs gateway completed {_fmt_gw(gw)}"))

    # -- positions (quantity, average cost) by conId
    term_pos: dict[int, tuple[float, float]] = {}
    for p in session.positions():
        if p.quantity:
            term_pos[int(p.instrument.con_id or 0)] = (float(p.quantity), float(p.avg_cost))
    for con in sorted(set(term_pos) | set(snap.positions)):
        t, g = term_pos.get(con), snap.positions.get(con)
        if t is None or g is None or abs(t[0] - g[0]) > 1e-9 or \
                abs(t[1] - g[1]) > 1e-4 * max(1.0, abs(g[1])):
            out.append(Problem("position_mismatch", f"conId {con}",
                               f"terminal (qty, avgCost) {t} vs gateway {g}"))

    # -- cash (TotalCashValue) per currency
    term_cash = {}
    for v in session.account_values():
        if v.tag == "TotalCashValue" and v.number is not None:
            term_cash[v.currency or "BASE"] = v.number
    for cur, g in snap.cash.items():
        t = term_cash.get(cur)
        if t is None or abs(t - g) > 0.011:
            out.append(Problem("cash_mismatch", cur, f"terminal TotalCashValue {t} vs gateway {g}"))

    # -- the day's executions of this client (IB reqExecutions)
    have = {e.exec_id for e in session.executions()}
    missing = sorted(x for x, (c, _p, _s) in snap.executions.items() if c == cid and x not in have)
    if missing:
        out.append(Problem("execution_missing", f"{len(missing)} fills",
                           f"gateway fills not in the terminal: {', '.join(missing[:5])}"
                           + (" ..." if len(missing) > 5 else "")))
    return out


def _pending_marks(session: Any, commands: Any, rec, gw: GwOrder) -> list[Problem]:
    """A working order the gateway has settled (not pending): the terminal must not keep a
    pending mark on it (in-flight modify/cancel, stale orderId, a refused cancel)."""
    out = []
    action = session.pending_action(rec.order_id) if hasattr(session, "pending_action") else None
    if action:
        out.append(Problem("pending_not_shared", f"order {rec.order_id}",
                           f"terminal still waits for a {action} answer; gateway has {gw.status}"))
    stale = session.stale_order_ids() if hasattr(session, "stale_order_ids") else ()
    if rec.order_id in stale:
        out.append(Problem("pending_not_shared", f"order {rec.order_id}",
                           f"terminal marks the order stale; gateway reports it {gw.status}"))
    from app.commands import CancelOrder, CommandRejected

    try:
        commands.check(CancelOrder(rec.order_id))
    except CommandRejected as e:
        if e.rule in BLOCKING_RULES:
            out.append(Problem("cancel_blocked", f"order {rec.order_id}",
                               f"a cancel is refused ({e.rule}: {e.reason}) while the gateway has "
                               f"the order {gw.status}"))
    return out


def sent_twice(snap: Snapshot, keys: dict[int, set[tuple[int, int]]], placed: set[int],
               client_id: int) -> list[Problem]:
    """Nothing sent twice: one gateway order per order the harness placed (by orderRef and
    by the referee's (clientId, orderId) -> permId keys), and no order it did not place."""
    out = []
    gw_all = {**snap.completed, **snap.open_orders}
    for ref, n in Counter(o.order_ref for o in gw_all.values() if o.order_ref).items():
        if n > 1:
            perms = sorted(p for p, o in gw_all.items() if o.order_ref == ref)
            out.append(Problem("sent_twice", f"ref {ref}", f"{n} gateway orders with orderRef {ref}: "
                               f"permIds {perms}"))
    per_key: dict[tuple[int, int], set[int]] = {}
    for perm, ks in keys.items():
        for k in ks:
            per_key.setdefault(k, set()).add(perm)
    for (c, oid), perms in per_key.items():
        if c == client_id and len(perms) > 1:
            out.append(Problem("sent_twice", f"order {oid}",
                               f"client {c} orderId {oid} reached the gateway as permIds {sorted(perms)}"))
        if c == client_id and oid not in placed:
            out.append(Problem("unsolicited_order", f"order {oid}",
                               f"gateway has orderId {oid} of client {c}, which the harness never placed"))
    mine = [o for o in gw_all.values() if o.client_id in (None, client_id)]
    if len(mine) > len(placed):
        out.append(Problem("sent_twice", "count",
                           f"the gateway holds {len(mine)} orders, the harness placed {len(placed)}"))
    return out


def durability(before: Snapshot, after: Snapshot) -> list[Problem]:
    """After a restart / ``kill -9`` nothing acknowledged is lost: every order, fill,
    position and the cash the gateway reported before the fault is still there, and a
    finished order did not come back working."""
    out = []
    for perm, o in {**before.completed, **before.open_orders}.items():
        now = after.order(perm)
        if now is None:
            out.append(Problem("gateway_lost_order", f"perm {perm}",
                               f"before the fault {_fmt_gw(o)}; after it the gateway reports nothing"))
            continue
        if o.status not in WORKING and now.status in WORKING:
            out.append(Problem("gateway_order_revived", f"perm {perm}",
                               f"{o.status} before the fault, {now.status} after it"))
        if (o.filled or 0) > (now.filled or 0) + 1e-9:
            out.append(Problem("gateway_lost_fill", f"perm {perm}",
                               f"filled {o.filled} before the fault, {now.filled} after it"))
    lost = sorted(set(before.executions) - set(after.executions))
    if lost:
        out.append(Problem("gateway_lost_fill", f"{len(lost)} execIds",
                           f"executions gone after the fault: {', '.join(lost[:5])}"))
    if before.positions != after.positions:
        out.append(Problem("gateway_lost_position", "positions",
                           f"before {before.positions} after {after.positions}"))
    for cur, v in before.cash.items():
        if abs(after.cash.get(cur, math.nan) - v) > 0.011 or cur not in after.cash:
            out.append(Problem("gateway_lost_cash", cur, f"before {v} after {after.cash.get(cur)}"))
    return out


def perm_reuse(keys: dict[int, set[tuple[int, int]]]) -> list[Problem]:
    """A permId issued twice (one permId seen with two (clientId, orderId))."""
    return [Problem("perm_id_reused", f"perm {perm}", f"one permId for {sorted(ks)}")
            for perm, ks in keys.items() if len({k for k in ks if k[1] > 0}) > 1]
