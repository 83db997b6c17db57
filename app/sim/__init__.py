"""The simulated IB Gateway: a TCP server speaking the TWS socket protocol.

Two halves, meeting only through the types in ``app.sim.types`` and the
``exchange.SimExchange`` facade:

* the exchange side (pure Python, driven by the ``now`` it is given):
  ``instruments`` (universe, NYSE/FX sessions and holidays), ``market`` (seeded
  quotes), ``history``/``tape``/``timesales`` (bars, prints, ticks, replay of
  real bars), ``depth``, ``symbols`` (symbol search, market rules), ``engine``
  and ``orderrules`` (matching engine, order types, TIFs, life cycle),
  ``margin``, ``account``/``summary`` (cash, positions, P&L, account summary),
  ``persist`` (SQLite state snapshot and load), ``durable`` (per-change commits to the
  state file), ``barcheck`` (impossible replay bars), facade ``exchange``;
* the wire side: ``wire`` (framing), ``decode`` (requests), ``encode``,
  ``encode_orders``, ``encode_market`` (messages at server version 178),
  ``connection``/``streams``/``order_handlers``/``routing`` (one object per API
  client, subscriptions, order routing by client id), ``pacing`` (IB's message
  rate and historical-data pacing), ``server`` (SimGateway, GatewayThread),
  ``control`` (token-authenticated admin interface for faults), ``private`` (state-file
  lock, 0600/0700 files, admin token file), ``clock`` (start time and speed).

Runs as its own process: ``python -m app.sim --port N`` (see docs/simulator.md).
"""
