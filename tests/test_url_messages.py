"""A rerun sends the browser a URL update only when the URL changes: each update is one more message
on every slider move (ui.url.set_param)."""

from __future__ import annotations

from benchmarks.viewer import Viewer, run_async


async def explorer_moves(url: str) -> list:
    viewer = Viewer(url, "Explorer", query="n=32&norm=layer")
    runs = [await viewer.connect()]
    runs.append(await viewer.change("ga", [1.5]))  # reruns the bar row holding N = 32, not a default
    runs.append(await viewer.change("n", ["64"]))
    await viewer.close()
    return runs


def test_a_move_that_keeps_the_url_sends_no_url_update(served_app):
    opened, gamma_move, n_move = run_async(explorer_moves(served_app))
    assert all(run.ok for run in (opened, gamma_move, n_move))
    assert gamma_move.query_strings == []
    assert len(n_move.query_strings) == 1 and "n=64" in n_move.query_strings[0]
