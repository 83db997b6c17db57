"""Qt widgets of the terminal. Views read view-models (``app.viewmodels``) and emit user intents;
orders go through ``app.commands`` only. ``format`` holds the shared number formats, ``theme``
the light and dark colours, ``appearance`` the Fusion style, palette and View → Theme."""
