"""The refactoring strategies, in the order suggest runs them. Each module exports STRATEGY."""

from __future__ import annotations

from refactor.candidate import Strategy
from strategies import dce_blockers, guard_with_tag, split_package

ALL: tuple[Strategy, ...] = (split_package.STRATEGY, guard_with_tag.STRATEGY, dce_blockers.STRATEGY)
