"""The simulated IB Gateway: a TCP server speaking the TWS socket protocol.

Two halves:

* the wire side (``wire``, ``decode``, ``encode``, ``encode_orders``, ``connection``,
  ``server``): framing, parsing
  client requests, encoding server messages at server version 178, one
  connection object per API client;
* the exchange side (``instruments``, ``market``, ``history``, ``engine``,
  ``account``, facade ``exchange.SimExchange``): instruments, a seeded market
  model, bar history, the matching engine and the account.

They meet only through the types in ``app.sim.types``. Runs as its own process:
``python -m app.sim --port N``.
"""
