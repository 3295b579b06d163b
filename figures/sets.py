"""Drawing normalization sets on a grid of cells: the followed set strong, the others pale and told apart.

A grid holds one set number per cell (NaN for a gap between blocks). Every set but the followed one
gets a pale shade such that two neighbouring cells of different sets never share it (a greedy
colouring of the sets' neighbour graph), and every set is outlined: lines run between cells of
different sets and around each block. The followed set is filled with ``style.AFTER`` and outlined
thick in ``style.REFERENCE``. Used by the Explorer's N x C block and the home page's grids.
"""

from __future__ import annotations

import numpy as np

from figures import style

# Pale shades for the sets that are not followed: different hues at one lightness, none near
# style.AFTER, so that no other set reads as the highlighted one. A grid of normalization sets
# needs two of them (stripes, checkerboards); the rest are for the odd neighbourhood.
MUTED = ["#c9d5e3", "#e8dcc0", "#cfe2cb", "#ddd0e4", "#d7d7d7", "#c6e0e0"]
FOLLOWED = style.AFTER  # the followed set's fill
OUTLINE = style.REFERENCE  # the followed set's outline
BOUNDARY = "#8d96a0"  # the lines between the other sets
BOUNDARY_WIDTH, OUTLINE_WIDTH = 1.2, 3


def neighbours(grid: np.ndarray) -> np.ndarray:
    """Pairs ``(a, b)`` of different sets that touch (left-right or up-down), each pair once.

    Gap columns (all NaN) are skipped: cells on either side of a gap count as neighbours, so that
    the same channel of two samples is told apart across the gap too.
    """
    solid = grid[:, ~np.isnan(grid).all(axis=0)]
    pairs = [(solid[:, :-1], solid[:, 1:]), (solid[:-1, :], solid[1:, :])]
    found = np.concatenate([np.stack([a[a != b], b[a != b]], axis=1) for a, b in pairs])
    found = found[~np.isnan(found).any(axis=1)].astype(int)
    return np.unique(np.sort(found, axis=1), axis=0)


def shades(grid: np.ndarray, followed: int) -> np.ndarray:
    """A shade for every cell: an index into :data:`MUTED`, ``len(MUTED)`` for the followed set, -1 for
    a gap. Neighbouring cells of different sets get different shades."""
    sets = np.unique(grid[~np.isnan(grid)]).astype(int)
    touching: dict[int, set[int]] = {int(s): set() for s in sets}
    for a, b in neighbours(grid):
        touching[int(a)].add(int(b))
        touching[int(b)].add(int(a))
    shade: dict[int, int] = {followed: len(MUTED)}
    for s in sets:  # greedy, in set order: the first shade no coloured neighbour has
        if s != followed:
            taken = {shade.get(other) for other in touching[int(s)]}
            shade[int(s)] = next(i for i in range(len(MUTED) + 1) if i not in taken) % len(MUTED)
    lookup = np.vectorize(lambda s: -1 if np.isnan(s) else shade[int(s)], otypes=[int])
    return lookup(grid) if grid.size else grid.astype(int)


def colorscale() -> list[list]:
    """A discrete colorscale for :func:`shades` on ``cmin = -0.5``, ``cmax = len(MUTED) + 0.5``."""
    colours = [*MUTED, FOLLOWED]
    steps = np.linspace(0, 1, len(colours) + 1)
    return [[float(at), colour] for i, colour in enumerate(colours) for at in steps[i : i + 2]]


def outline(inside: np.ndarray) -> tuple[list, list]:
    """Line coordinates around the cells where ``inside`` holds: where one of them meets a cell outside
    it, a gap or the border (cells centred on integers: column = x, row = y)."""
    return boundaries(np.where(inside, 0.0, np.nan))


def boundaries(grid: np.ndarray) -> tuple[list, list]:
    """Line coordinates (``None`` between lines) between every two neighbouring cells of different sets
    and around each block (next to a gap or the border), so that each set is a closed outline. Cells
    are centred on integers (column = x, row = y); collinear edges are joined into one line."""
    rows, cols = grid.shape
    padded = np.full((rows + 2, cols + 2), np.nan)
    padded[1:-1, 1:-1] = grid
    xs: list = []
    ys: list = []
    left, right = (
        padded[1:-1, :-1],
        padded[1:-1, 1:],
    )  # (rows, cols + 1): the cells either side of x = c - 0.5
    for c, column in enumerate(_differ(left, right).T):
        for start, stop in _runs(column):
            xs += [c - 0.5, c - 0.5, None]
            ys += [start - 0.5, stop - 0.5, None]
    above, below = padded[:-1, 1:-1], padded[1:, 1:-1]  # (rows + 1, cols): either side of y = r - 0.5
    for r, row in enumerate(_differ(above, below)):
        for start, stop in _runs(row):
            xs += [start - 0.5, stop - 0.5, None]
            ys += [r - 0.5, r - 0.5, None]
    return xs, ys


def _differ(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Where two cells are of different sets, at least one of them a cell (not a gap or the border)."""
    real_a, real_b = ~np.isnan(a), ~np.isnan(b)
    return (real_a | real_b) & ~(real_a & real_b & (a == b))


def _runs(flags: np.ndarray) -> list[tuple[int, int]]:
    """``(start, stop)`` of every run of True in ``flags`` (stop exclusive): one line per run."""
    padded = np.concatenate([[False], flags, [False]]).astype(np.int8)
    change = np.flatnonzero(np.diff(padded))
    return list(zip(change[::2].tolist(), change[1::2].tolist(), strict=True))


def line_trace(xs: list, ys: list, *, colour: str, width: float, **axes) -> dict:
    """One line trace drawing all the segments (as :func:`figures.style.figure` takes it)."""
    return dict(type="scatter", mode="lines", x=xs, y=ys, line=dict(color=colour, width=width), hoverinfo="skip",
                showlegend=False, **axes)  # fmt: skip
