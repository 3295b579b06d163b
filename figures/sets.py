"""Drawing normalization sets on a grid of cells: the followed set strong, the others pale and told apart.

A grid holds one set number per cell (NaN for a gap between blocks). Every set but the followed one
gets a pale shade such that two neighbouring cells of different sets never share it (a checkerboard
of sets where that works, else a greedy colouring of the sets' neighbour graph), and every set is outlined: lines run between cells of
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
    found = np.sort(found[~np.isnan(found).any(axis=1)].astype(np.int64), axis=1)
    base = int(found.max(initial=0)) + 1
    unique = np.unique(found[:, 0] * base + found[:, 1])  # one number per pair: a 1-D unique is fast
    return np.column_stack([unique // base, unique % base])


def shades(grid: np.ndarray, followed: int) -> np.ndarray:
    """A shade for every cell: an index into :data:`MUTED`, ``len(MUTED)`` for the followed set, -1 for
    a gap. Neighbouring cells of different sets get different shades.

    Normalization sets are rows, columns or rectangles of a grid: numbering each set's first row and
    first column among all sets' ones, their sum's parity tells neighbours apart (a checkerboard of
    sets), checked on every neighbouring pair. Otherwise each set, in order, takes the first shade none
    of its already shaded neighbours has.
    """
    solid = ~np.isnan(grid)
    rows, cols = np.nonzero(solid)  # row-major, as grid[solid]
    ids, first, inverse = np.unique(grid[solid], return_index=True, return_inverse=True)
    compact = np.full(grid.shape, np.nan)
    compact[solid] = inverse  # sets renumbered 0 .. k - 1
    pairs = neighbours(compact)
    row_rank = np.unique(rows[first], return_inverse=True)[1]
    col_rank = np.unique(cols[first], return_inverse=True)[1]
    shade = (row_rank + col_rank) % 2
    if np.any(shade[pairs[:, 0]] == shade[pairs[:, 1]]):
        shade = _greedy(ids.size, pairs)
    shade = np.where(ids == followed, len(MUTED), shade)
    cells = np.full(grid.shape, -1)
    cells[solid] = shade[inverse]
    return cells


def _greedy(count: int, pairs: np.ndarray) -> np.ndarray:
    """Shades for sets 0 .. count - 1 such that no pair in ``pairs`` shares one: each set in turn takes
    the first shade its already shaded neighbours do not have."""
    near = np.concatenate([pairs, pairs[:, ::-1]])
    near = near[np.argsort(near[:, 0], kind="stable")]
    ends = np.cumsum(np.bincount(near[:, 0], minlength=count)).tolist()
    others = near[:, 1].tolist()
    shade: list[int] = []
    start = 0
    for end in ends:
        taken = {shade[j] for j in others[start:end] if j < len(shade)}
        shade.append(next(k for k in range(len(MUTED)) if k not in taken) if len(taken) < len(MUTED) else 0)
        start = end
    return np.asarray(shade, dtype=int)


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
    """Line coordinates (``None`` between lines) between every two neighbouring
    cells of different sets and around each block (next to a gap or the border), so that each set is a
    closed outline. Cells are centred on integers (column = x, row = y); collinear edges are joined
    into one line."""
    rows, cols = grid.shape
    padded = np.full((rows + 2, cols + 2), np.nan)
    padded[1:-1, 1:-1] = grid
    # the cells either side of x = c - 0.5, (rows, cols + 1), and of y = r - 0.5, (rows + 1, cols)
    column, start, stop = _runs(_differ(padded[1:-1, :-1], padded[1:-1, 1:]).T)
    row, left, right = _runs(_differ(padded[:-1, 1:-1], padded[1:, 1:-1]))
    gap = np.full(column.size + row.size, np.nan)
    xs = np.concatenate([np.column_stack([column, column]), np.column_stack([left, right])]) - 0.5
    ys = np.concatenate([np.column_stack([start, stop]), np.column_stack([row, row])]) - 0.5
    # as lists with None between lines: a few hundred numbers, which plotly sends faster than arrays
    return _with_breaks(np.column_stack([xs, gap])), _with_breaks(np.column_stack([ys, gap]))


def _with_breaks(points: np.ndarray) -> list:
    return [None if value != value else value for value in points.ravel().tolist()]  # NaN -> None


def _differ(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Where two cells are of different sets, at least one of them a cell (not a gap or the border)."""
    real_a, real_b = ~np.isnan(a), ~np.isnan(b)
    return (real_a | real_b) & ~(real_a & real_b & (a == b))


def _runs(flags: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every run of True along the rows of ``flags``: its row, start and stop (exclusive), one line each."""
    padded = np.zeros((flags.shape[0], flags.shape[1] + 2), dtype=np.int8)
    padded[:, 1:-1] = flags
    change = np.diff(padded, axis=1)
    starts, stops = np.argwhere(change == 1), np.argwhere(change == -1)  # row-major: the n-th of each pair up
    return starts[:, 0], starts[:, 1], stops[:, 1]


def line_trace(xs: list, ys: list, *, colour: str, width: float, **axes) -> dict:
    """One line trace drawing all the segments (as :func:`figures.style.figure` takes it)."""
    return dict(type="scatter", mode="lines", x=xs, y=ys, line=dict(color=colour, width=width), hoverinfo="skip",
                showlegend=False, **axes)  # fmt: skip
