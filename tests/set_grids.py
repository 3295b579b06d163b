"""Reading a drawn set grid back from its figure: each cell's fill, and the unit edges its lines draw.

Shared by the Explorer's and the home page's figure tests, which assert from these what a reader
sees: neighbouring sets never share a fill, only the followed set has the highlight fill, and the
outlines run exactly around the sets.
"""

from __future__ import annotations

import numpy as np


def colour_at(colorscale, value: float, cmin: float, cmax: float) -> str:
    """The colour a discrete colorscale gives ``value`` (its steps are flat: no blending)."""
    at = (value - cmin) / (cmax - cmin)
    for (low, colour), (high, _) in zip(colorscale[:-1], colorscale[1:], strict=True):
        if low <= at <= high and low != high:
            return colour
    raise AssertionError(f"{value} is off the colorscale")


def unit_edges(xs, ys) -> set[tuple[tuple[float, float], tuple[float, float]]]:
    """The unit-long cell edges a line trace covers (its segments are horizontal or vertical)."""
    edges = set()
    points = list(zip(xs, ys, strict=True))
    for (x0, y0), (x1, y1) in zip(points[:-1], points[1:], strict=True):
        if any(v is None or np.isnan(v) for v in (x0, y0, x1, y1)):  # a break between lines
            continue
        assert x0 == x1 or y0 == y1, "a set outline runs along the cell edges"
        if x0 == x1:
            edges |= {((x0, y), (x0, y + 1)) for y in np.arange(min(y0, y1), max(y0, y1)).tolist()}
        else:
            edges |= {((x, y0), (x + 1, y0)) for x in np.arange(min(x0, x1), max(x0, x1)).tolist()}
    return edges


def expected_edges(inside: np.ndarray, solid: np.ndarray, differ) -> set:
    """The unit edges around cell ``(r, c)`` (centred at x = c, y = r) where ``differ(cell, neighbour)``,
    for every cell where ``inside`` holds; a neighbour off the grid or not ``solid`` always differs."""
    rows, cols = inside.shape
    edges = set()
    for r, c in zip(*np.nonzero(inside), strict=True):
        for dr, dc, edge in [
            (0, -1, ((c - 0.5, r - 0.5), (c - 0.5, r + 0.5))),
            (0, 1, ((c + 0.5, r - 0.5), (c + 0.5, r + 0.5))),
            (-1, 0, ((c - 0.5, r - 0.5), (c + 0.5, r - 0.5))),
            (1, 0, ((c - 0.5, r + 0.5), (c + 0.5, r + 0.5))),
        ]:
            rr, cc = r + dr, c + dc
            outside = not (0 <= rr < rows and 0 <= cc < cols) or not solid[rr, cc]
            if outside or differ((r, c), (rr, cc)):
                edges.add(tuple((float(x), float(y)) for x, y in edge))
    return edges


def neighbour_pairs(grid: np.ndarray):
    """Every two cells side by side or one above the other, skipping gap columns (all NaN)."""
    keep = np.flatnonzero(~np.isnan(grid).all(axis=0))
    rows = grid.shape[0]
    for r in range(rows):
        for i, c in enumerate(keep):
            if i + 1 < len(keep):
                yield (r, c), (r, keep[i + 1])
            if r + 1 < rows:
                yield (r, c), (r + 1, c)


def assert_sets_drawn(grid: np.ndarray, fills: np.ndarray, followed: int, highlight: str, boundary, outline):
    """What a reader needs: neighbouring different sets differ in fill, only the followed set's cells
    have the ``highlight`` fill, every set is outlined (``boundary`` edges lie exactly between
    different sets and around the blocks) and the followed set has its own outline (``outline``)."""
    solid = ~np.isnan(grid)
    for a, b in neighbour_pairs(grid):
        if solid[a] and solid[b] and grid[a] != grid[b]:
            assert fills[a] != fills[b], (
                f"cells {a} and {b} are of different sets and share the fill {fills[a]}"
            )
    np.testing.assert_array_equal(fills == highlight, solid & (grid == followed))
    assert boundary == expected_edges(solid, solid, lambda a, b: grid[a] != grid[b])
    assert outline == expected_edges(grid == followed, solid & (grid == followed), lambda a, b: False)


def block_fills(fig, shape: tuple[int, int]) -> np.ndarray:
    """The fill of every (sample, channel) cell as drawn: the two marker traces, through their colorscale."""
    fills = np.full(shape, "", dtype=object)
    for trace in fig.data[:2]:
        m = trace.marker
        colours = [m.color] * len(trace.x) if isinstance(m.color, str) else m.color  # one colour, or shades
        for x, y, value in zip(trace.x, trace.y, colours, strict=True):
            assert fills[y, x] == "", "one marker per cell"
            fills[y, x] = value if isinstance(value, str) else colour_at(m.colorscale, value, m.cmin, m.cmax)
    assert (fills != "").all()
    return fills


def heatmap_fills(trace) -> np.ndarray:
    """The fill of every cell of a heatmap drawn with a discrete colorscale ("" for a gap: z is NaN)."""
    z = np.array(trace.z, dtype=float)
    fills = np.full(z.shape, "", dtype=object)
    for at in zip(*np.nonzero(~np.isnan(z)), strict=True):
        fills[at] = colour_at(trace.colorscale, z[at], trace.zmin, trace.zmax)
    return fills
