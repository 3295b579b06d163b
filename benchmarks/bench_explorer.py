"""Server-side time of one Explorer rerun after a control change, and the payload per rerun.

python benchmarks/bench_explorer.py [--repeats 15] [--pause 0.2] [--bar-only | --floor]

Serves the app (``streamlit run app.py`` on loopback, as deployed) and plays one viewer over
Streamlit's websocket protocol (benchmarks/viewer.py): each change moves one control to a value
not seen before (so the caches that depend on it miss) and is timed from the sent BackMsg to the
script_finished ForwardMsg: the script, Streamlit's serialization and the send, without a browser.
Changes are ``--pause`` seconds apart, as a person moves a slider: sent back to back, each waits
~40 ms on the previous run's teardown (measured on a trivial page too), which is not the page's cost.
The trivial page (one slider, one line) is timed the same way on its own server, as the floor.
Payload: the bytes of the rerun's ForwardMsgs, and the JSON spec of each chart it sends.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks.load import tree_cpu_seconds  # noqa: E402
from benchmarks.viewer import Viewer  # noqa: E402
from tests.conftest import serve  # noqa: E402
from ui.i18n import translate  # noqa: E402

LARGEST = "n=256&c=64&hw=32"  # capped to N = 30: 1,966,080 values
VIEWS = ["sets", "stats", "downstream", "worked", "backward", "code"]


def gammas(count: int) -> list[list[float]]:
    return [[round(0.5 + 0.05 * i, 2)] for i in range(count)]


def betas(count: int) -> list[list[float]]:
    return [[round(-1.0 + 0.05 * i, 2)] for i in range(count)]


SIZES = [["2"], ["4"], ["8"], ["32"], ["64"], ["1"], ["128"]]  # the segmented control's value: its labels
NORMS = ["layer", "group", "instance", "rms", "batch"]  # a selectbox's value: its (English) label


def cycle(values: list, count: int) -> list:
    return [values[i % len(values)] for i in range(count)]


# The bar's controls, each moved ``repeats`` times, interleaved with the trivial page's slider in one run.
# N and the norm take few values: each rerun after the first of a value finds its caches warm (as in a lesson).
BAR = [
    ("γ", "ga", gammas),
    ("β", "be", betas),
    ("N", "n", lambda k: cycle(SIZES, k)),
    ("norm", "norm", lambda k: cycle([translate(f"explorer.norm.{v}", "en") for v in NORMS], k)),
]


def cases(repeats: int) -> list[tuple[str, str, str, str, list]]:
    """(size, query, control, key, values): the control changes from each page state."""
    default = [
        ("default", "", "γ slider", "ga", gammas(repeats)),
        ("default", "", "batch size N", "n", cycle(SIZES, repeats)),
        ("default", "", "seed (new batch)", "seed", list(range(1, repeats + 1))),
        ("default", "mode=eval", "warm-up batches (eval)", "wb", [[21 + i] for i in range(repeats)]),
    ]
    views = [("default", f"view={v}", "γ slider", "ga", gammas(repeats)) for v in VIEWS[1:]]
    largest = [
        ("largest", LARGEST, "γ slider", "ga", gammas(repeats)),
        ("largest", LARGEST, "seed (new batch)", "seed", list(range(1, repeats + 1))),
        ("largest", f"{LARGEST}&view=backward", "γ slider", "ga", gammas(repeats)),
    ]
    return default + views + largest


async def timed(
    url: str,
    page: str,
    query: str,
    key: str,
    values: list,
    pause: float,
    cpu: list | None = None,
    pid: int = 0,
) -> list:
    """The runs after each change of ``key`` to the next of ``values``, on a fresh session; with ``cpu``,
    the server's (``pid``'s tree) CPU milliseconds over each change are appended to it."""
    viewer = Viewer(url, page, query=query)
    first = await viewer.connect()
    if not first.ok:
        raise RuntimeError(f"{page}?{query} does not run cleanly: {first.exceptions}")
    runs = []
    for value in values:
        await asyncio.sleep(pause)
        before = tree_cpu_seconds(pid) if cpu is not None else 0.0
        run = await viewer.change(key, value)
        if cpu is not None:
            cpu.append((tree_cpu_seconds(pid) - before) * 1000)
        if not run.ok:
            raise RuntimeError(f"{key}={value}: {run.status} {run.exceptions}")
        runs.append(run)
    await viewer.close()
    return runs


def ms(runs: list) -> tuple[float, float]:
    seconds = [r.seconds * 1000 for r in runs]
    return statistics.median(seconds), min(seconds)


async def side_by_side(
    app_url: str, trivial_url: str, repeats: int, pause: float, pids: tuple[int, int]
) -> None:
    """Each bar control's rerun against the trivial page's, the two alternating change by change.

    Wall time from the sent change to script_finished, and the server process's CPU time over the same
    span (steadier than wall time on a loaded machine: another process's work does not count)."""
    print(
        f"{'control':8s} {'Explorer':>9s} {'trivial':>8s} {'ratio':>6s}   {'CPU ms':>7s} {'trivial':>8s} {'ratio':>6s}"
        f"  (medians of {repeats}; target ratio <= 3)"
    )
    for name, key, make in BAR:
        page, floor = Viewer(app_url, "Explorer"), Viewer(trivial_url, "")
        for viewer in (page, floor):
            if not (await viewer.connect()).ok:
                raise RuntimeError(f"{viewer.url} does not run cleanly")
        ours, theirs, our_cpu, their_cpu = [], [], [], []
        for i, value in enumerate(make(repeats)):
            await asyncio.sleep(pause)
            before = tree_cpu_seconds(pids[0])
            run = await page.change(key, value)
            our_cpu.append((tree_cpu_seconds(pids[0]) - before) * 1000)
            if not run.ok:
                raise RuntimeError(f"{key}={value}: {run.status} {run.exceptions}")
            ours.append(run.seconds * 1000)
            await asyncio.sleep(pause)
            before = tree_cpu_seconds(pids[1])
            theirs.append((await floor.change("x", [i % 100])).seconds * 1000)
            their_cpu.append((tree_cpu_seconds(pids[1]) - before) * 1000)
        for viewer in (page, floor):
            await viewer.close()
        a, b = statistics.median(ours), statistics.median(theirs)
        ca, cb = (
            statistics.mean(our_cpu),
            statistics.mean(their_cpu),
        )  # clock ticks of 10 ms: means, not medians
        print(f"{name:8s} {a:6.1f} ms {b:5.1f} ms {a / b:6.1f}   {ca:7.1f} {cb:8.1f} {ca / cb:6.1f}")


async def measure(app_url: str, trivial_url: str, repeats: int, pause: float, pids: tuple[int, int]) -> None:
    for url, page in [(app_url, "Explorer"), (trivial_url, "")]:  # imports, first-run caches
        await timed(url, page, "", "ga" if page else "x", [[1.0]] if page else [[1]], 0)
    print(f"machine: load average {' '.join(f'{v:.1f}' for v in os.getloadavg())} on {os.cpu_count()} cores")
    await side_by_side(app_url, trivial_url, repeats, pause, pids)
    floor = ms(await timed(trivial_url, "", "", "x", [[i] for i in range(repeats)], pause))
    home = ms(await timed(app_url, "", "", "lang", ["한국어", "English"] * (repeats // 2 + 1), pause))
    print(f"machine: load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; {repeats} changes each")
    print(f"floor: trivial page rerun {floor[0]:.0f} ms median (min {floor[1]:.0f})")
    print(f"reference: Home page rerun {home[0]:.0f} ms median (min {home[1]:.0f})")
    print(
        f"{'size':8s} {'link':18s} {'control changed':24s} {'median':>8s} {'min':>6s} {'sent':>9s} {'charts':>18s}"
    )
    for size, query, control, key, values in cases(repeats):
        runs = await timed(app_url, "Explorer", query, key, values, pause)
        median, low = ms(runs)
        sent = statistics.median(r.payload_bytes for r in runs) / 1024
        charts = f"{sum(runs[-1].chart_bytes) / 1024:.1f} KB in {len(runs[-1].chart_bytes)}"
        link = query.replace(LARGEST, "largest").replace("&view=", " view=") or "(defaults)"
        print(
            f"{size:8s} {link:18s} {control:24s} {median:5.0f} ms {low:3.0f} ms {sent:6.1f} KB {charts:>18s}"
        )
    load = await Viewer(app_url, "Explorer").connect()
    print(f"first load at defaults: {load.payload_bytes / 1024:.1f} KB sent, "
          f"{sum(load.chart_bytes) / 1024:.1f} KB of chart JSON in {len(load.chart_bytes)} charts")  # fmt: skip


async def bar_only(app_url: str, trivial_url: str, repeats: int, pause: float, pids: tuple[int, int]) -> None:
    for url, page in [(app_url, "Explorer"), (trivial_url, "")]:
        await timed(url, page, "", "ga" if page else "x", [[1.0]] if page else [[1]], 0)
    print(f"machine: load average {' '.join(f'{v:.1f}' for v in os.getloadavg())} on {os.cpu_count()} cores")
    await side_by_side(app_url, trivial_url, repeats, pause, pids)
    # The Backward view against the default view at both sizes, and presenter mode (every chart enlarged for
    # a projector: the lecturer's own moves), each on a batch of its own (seed=): the forward summaries of
    # these γ values are cached for every session, so on the batch of an earlier case they would be hits.
    # Server CPU per change: a mean of 10 ms clock ticks.
    cases = [
        ("", 1),
        ("view=backward", 2),
        (LARGEST, 3),
        (f"{LARGEST}&view=backward", 4),
        ("present=true", 5),
    ]
    for query, seed in cases:
        cpu: list[float] = []
        link = f"{query}&seed={seed}".lstrip("&")
        median, low = ms(await timed(app_url, "Explorer", link, "ga", gammas(repeats), pause, cpu, pids[0]))
        print(f"γ with {link.replace(LARGEST, 'largest')}: {median:.0f} ms median (min {low:.0f}), "
              f"server CPU {statistics.mean(cpu):.0f} ms per change")  # fmt: skip


async def floor(urls: dict[str, str], repeats: int, pause: float, pids: dict[str, int]) -> None:
    """γ and norm moves on the Explorer, on its stage without its work (benchmarks/stage_floor_app.py), and
    on that stage with the γ/β computation, each against the trivial page, round by round in one run."""
    pages = {  # name: (server, page, query)
        "trivial": ("trivial", "", ""),
        "Explorer": ("app", "Explorer", ""),
        "stage alone": ("floor", "", ""),
        "stage + γ/β work": ("floor", "", "work=figures"),
    }
    print(f"machine: load average {' '.join(f'{v:.1f}' for v in os.getloadavg())} on {os.cpu_count()} cores")
    print(
        f"{'control':8s} {'page':18s} {'wall':>8s} {'ratio':>6s} {'CPU ms':>7s} {'ratio':>6s}  (medians of {repeats}; CPU: means)"
    )
    for name, key, make in [BAR[0], BAR[3]]:
        viewers = {
            page: Viewer(urls[server], path, query=query) for page, (server, path, query) in pages.items()
        }
        for viewer in viewers.values():
            if not (await viewer.connect()).ok:
                raise RuntimeError(f"{viewer.url} does not run cleanly")
        walls: dict[str, list] = {page: [] for page in pages}
        cpus: dict[str, list] = {page: [] for page in pages}
        for i, value in enumerate(make(repeats)):
            for page, viewer in viewers.items():
                if name != "γ" and "work" in page:
                    continue  # the work is γ/β's; a norm change on the stage alone is the same run
                await asyncio.sleep(pause)
                pid = pids[pages[page][0]]
                before = tree_cpu_seconds(pid)
                run = await viewer.change(
                    "x" if page == "trivial" else key, [i % 100] if page == "trivial" else value
                )
                cpus[page].append((tree_cpu_seconds(pid) - before) * 1000)
                if not run.ok:
                    raise RuntimeError(f"{page} {key}={value}: {run.status} {run.exceptions}")
                walls[page].append(run.seconds * 1000)
        for viewer in viewers.values():
            await viewer.close()
        base_wall, base_cpu = statistics.median(walls["trivial"]), statistics.mean(cpus["trivial"])
        for page in pages:
            if walls[page]:
                wall, cpu = statistics.median(walls[page]), statistics.mean(cpus[page])
                print(
                    f"{name:8s} {page:18s} {wall:5.1f} ms {wall / base_wall:6.2f} {cpu:7.1f} {cpu / base_cpu:6.2f}"
                )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--pause", type=float, default=0.2, help="seconds between changes")
    parser.add_argument(
        "--bar-only", action="store_true", help="only the bar's controls against the trivial page"
    )
    parser.add_argument(
        "--floor",
        action="store_true",
        help="γ and norm against the Explorer's stage alone (stage_floor_app.py)",
    )
    args = parser.parse_args()
    app, app_url = serve(script="app.py")
    trivial, trivial_url = serve(script="benchmarks/trivial_app.py")
    stage = serve(script="benchmarks/stage_floor_app.py") if args.floor else None
    try:
        if args.floor:
            urls = {"app": app_url, "trivial": trivial_url, "floor": stage[1]}
            pids = {"app": app.pid, "trivial": trivial.pid, "floor": stage[0].pid}
            asyncio.run(floor(urls, args.repeats, args.pause, pids))
        elif args.bar_only:
            asyncio.run(bar_only(app_url, trivial_url, args.repeats, args.pause, (app.pid, trivial.pid)))
        else:
            asyncio.run(measure(app_url, trivial_url, args.repeats, args.pause, (app.pid, trivial.pid)))
    finally:
        for process in (app, trivial, *(stage[:1] if stage else ())):
            process.terminate()
            process.wait(20)


if __name__ == "__main__":
    main()
