"""The simulated IB Gateway: a TCP server speaking the TWS socket protocol.

Two halves, meeting only through the types in ``app.sim.types`` and the
``exchange.SimExchange`` facade:

* the exchange side (pure Python, driven by the ``now`` it is given):
  ``instruments`` (universe, NYSE/FX sessions and holidays), ``market`` (seeded
  quotes), ``history``/``tape``/``timesales`` (bars, prints, ticks, replay of
  real bars), ``depth``, ``symbols`` (symbol search, market rules), ``engine``
  and ``orderrules`` (matching engine, order types, TIFs, life cycle),
  ``margin``, ``account``/``summary`` (cash, positions, P&L, account summary),
  ``persist`` (SQLite state), facade ``exchange``;
* the wire side: ``wire`` (framing), ``decode`` (requests), ``encode``,
  ``encode_orders``, ``encode_market`` (messages at server version 178),
  ``connection``/``streams``/``order_handlers``/``routing`` (one object per API
  client, subscriptions, order routing by client id), ``pacing`` (IB's message
  rate and historical-data pacing), ``server`` (SimGateway, GatewayThread),
  ``control`` (admin interface for faults), ``clock`` (start time and speed).

Runs as its own process: ``python -m app.sim --port N`` (see docs/simulator.md).
"""
