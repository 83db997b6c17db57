"""Strategies: one API for the backtest, the simulated gateway and a paper or live account
(``app.strategy.base``)."""

from app.strategy.base import (  # noqa: F401
    BAR_COLUMNS, Fill, OrderUpdate, Param, Strategy, StrategyContext, StrategyError,
)
