"""ibdesk: a desktop trading terminal for Interactive Brokers.

Layers (dependencies point downward only): ``app.ui`` -> ``app.viewmodels`` ->
(``app.commands``, ``app.broker``) -> ``app.domain``.  ``app.sim`` is a separate
server process (the simulated IB Gateway) and imports at most ``app.domain``.
"""

__version__ = "0.1.0"
