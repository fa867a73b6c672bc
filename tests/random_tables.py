"""Random graphical functions for the lookup tests (tests only)."""

from __future__ import annotations

import numpy as np

from loopdsl.model import Lookup


def random_tables(rng: np.random.Generator, count: int, most: int, reach: int) -> list[Lookup]:
    """``count`` tables of 1 to ``most - 1`` points, x whole numbers in [-reach, reach)."""
    tables = []
    for _ in range(count):
        m = int(rng.integers(1, most))
        xs = np.sort(rng.choice(np.arange(-reach, reach), size=m, replace=False)).astype(float)
        tables.append(Lookup(xs=xs.tolist(), ys=rng.normal(size=m).tolist()))
    return tables
