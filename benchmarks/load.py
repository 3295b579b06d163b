"""A lecture hall on one small host: concurrent viewers moving the Explorer's controls.

python benchmarks/load.py                    # all phases, 3 rounds: minutes on a quiet machine
python benchmarks/load.py --viewers 20 --phases trivial,explorer

Each phase serves its app on loopback (free ports), connects K viewers over Streamlit's
websocket protocol (benchmarks/viewer.py), and has each make M control changes at random
moments within --spread seconds, timing each from the sent BackMsg to its script_finished
ForwardMsg. All servers start first and stay up; each round runs the crowd phases back to
back, so that ratios compare like with like (the median over rounds is reported). Phases:
  trivial   benchmarks/trivial_app.py (one slider, one line): Streamlit's own floor
  explorer  the Explorer page on one replica
  replicas  the Explorer on two replicas behind nginx (deploy/nginx.conf)
  churn     --churn viewers coming and going on one replica: does memory come back?
  hostile   --calm viewers moving γ on the Explorer, first alone, then while one attacker performs
            an attack of benchmarks/attacks.py; each attack on a fresh server; not in the
            default list: python benchmarks/load.py --phases hostile --calm 5
Memory is the servers' resident set (VmRSS from /proc), summed over replicas (the hostile
phase: over the server's whole process tree, sampled every 0.2 s). CPU per change: the user + system
time of the server processes (and their children) over a crowd phase, divided by the changes served.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import os
import random
import signal
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks.attacks import Tab, attacks  # noqa: E402
from benchmarks.viewer import SUCCESS, Viewer  # noqa: E402
from deploy.replicas import replicas  # noqa: E402
from normcore.host import memory_kb  # noqa: E402
from tests.conftest import serve  # noqa: E402

EXPLORER_CHANGES = [
    ("n", lambda r: [str(r.choice([1, 2, 4, 8, 16, 32, 64]))]),
    ("hw", lambda r: [r.randint(1, 8)]),
    ("seed", None),
]
# --mix bar: what a lecture moves, the Explorer's bar (N, γ, β, the norm): reruns of its fragment alone
BAR_CHANGES = [
    ("n", lambda r: [str(r.choice([1, 2, 4, 8, 16, 32, 64]))]),
    ("ga", lambda r: [round(r.randint(-60, 60) * 0.05, 2)]),
    ("be", lambda r: [round(r.randint(-60, 60) * 0.05, 2)]),
    ("norm", lambda r: r.choice(["Batch Norm", "Layer Norm", "Group Norm", "Instance Norm", "RMS Norm"])),
]
TRIVIAL_CHANGES = [("x", lambda r: [r.randint(0, 100)])]
MB = 1024 * 1024


@dataclass
class Result:
    name: str
    loads: list[float] = field(default_factory=list)
    changes: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    exceptions: list[str] = field(default_factory=list)
    payload_bytes: list[int] = field(default_factory=list)
    rss_mb: dict[str, float] = field(default_factory=dict)
    seconds: float = 0.0
    cpu_seconds: float = 0.0  # user + system time of the server processes over the phase
    loads_first: bool = False  # every viewer loaded the page before any change; cpu_seconds is the changes'

    @property
    def cpu_per_change(self) -> float:
        """The servers' CPU seconds over the phase per change served (with --loads-first the changes' alone,
        else the page loads' cost included)."""
        return self.cpu_seconds / len(self.changes) if self.changes else float("nan")

    def p(self, q: float) -> float:
        return percentile(self.changes, q)


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def rss_mb(pids: list[int]) -> float:
    """Resident memory of the server processes, from /proc/<pid>/status."""
    total = 0
    for pid in pids:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1]) * 1024
    return total / MB


class MemoryWatch:
    """Samples the servers' RSS in the background; keeps the highest."""

    def __init__(self, pids: list[int]):
        self.pids, self.peak, self._task = pids, 0.0, None

    async def _sample(self) -> None:
        while True:
            self.peak = max(self.peak, rss_mb(self.pids))
            await asyncio.sleep(0.2)

    def __enter__(self):
        self._task = asyncio.get_running_loop().create_task(self._sample())
        return self

    def __exit__(self, *exc):
        self._task.cancel()


def change_for(changes, rng: random.Random) -> tuple[str, object]:
    key, make = rng.choice(changes)
    return key, make(rng) if make else rng.randint(0, 9999)


async def one_viewer(
    url, page, changes, count, spread, rng, result: Result, stagger: float, loaded=None
) -> None:
    """Arrive within ``stagger`` s, load the page, make ``count`` changes within ``spread`` s, leave.

    With ``loaded`` (a :class:`_Barrier` of every viewer), the changes start once every viewer has loaded."""
    await asyncio.sleep(rng.uniform(0, stagger))
    viewer = Viewer(url, page)
    headers = {"Cookie": f"normcore_route=viewer{rng.getrandbits(64):x}"}  # a browser of its own
    try:
        run = await viewer.connect(headers=headers)
        result.loads.append(run.seconds)
        record(result, run)
        if loaded is not None:
            loaded, arrival = None, loaded.wait()
            await arrival
        start = time.perf_counter()
        for moment in sorted(rng.uniform(0, spread) for _ in range(count)):
            await asyncio.sleep(max(0.0, moment - (time.perf_counter() - start)))
            run = await viewer.change(*change_for(changes, rng))
            result.changes.append(run.seconds)
            record(result, run)
    except Exception as error:  # a refused connection or a timeout is the measurement
        result.errors.append(f"{type(error).__name__}: {error}")
    finally:
        if loaded is not None:  # never loaded: the others need not wait for it
            loaded.leave()
        with contextlib.suppress(Exception):
            await viewer.close()


def record(result: Result, run) -> None:
    result.exceptions.extend(run.exceptions)
    result.payload_bytes.append(run.payload_bytes)
    if run.status not in SUCCESS:
        result.errors.append(f"script run ended {run.status}")


async def crowd(
    name, url, page, changes, pids, viewers, count, spread, seed, stagger=1.0, loads_first=False
) -> Result:
    """``viewers`` at once, each making ``count`` changes (with ``loads_first``, after every viewer has loaded
    the page, and the CPU counted from then on)."""
    result = Result(name, loads_first=loads_first)
    rng = random.Random(seed)
    result.rss_mb["before"] = rss_mb(pids)
    started, cpu = time.perf_counter(), sum(tree_cpu_seconds(pid) for pid in pids)
    loaded = None
    if loads_first:

        def changes_begin() -> None:  # the barrier's action: the changes' CPU is counted from here
            nonlocal cpu
            cpu = sum(tree_cpu_seconds(pid) for pid in pids)

        loaded = _Barrier(viewers, changes_begin)
    with MemoryWatch(pids) as watch:
        await asyncio.gather(
            *(
                one_viewer(
                    url, page, changes, count, spread, random.Random(rng.random()), result, stagger, loaded
                )
                for _ in range(viewers)
            )
        )
    result.seconds = time.perf_counter() - started
    result.cpu_seconds = sum(tree_cpu_seconds(pid) for pid in pids) - cpu
    result.rss_mb["peak"] = watch.peak
    result.rss_mb["after"] = rss_mb(pids)
    return result


class _Barrier:
    """Every one of ``parties`` waits until all have arrived; ``action`` runs once, when the last arrives.
    A viewer whose page failed to load still arrives (its error is the measurement)."""

    def __init__(self, parties: int, action) -> None:
        self.left, self.action, self.open = parties, action, asyncio.Event()

    async def wait(self) -> None:
        self.leave()
        await self.open.wait()

    def leave(self) -> None:
        self.left -= 1
        if self.left == 0:
            self.action()
            self.open.set()


async def churn(url, page, pids, total, at_once, seed, settle: float) -> Result:
    """``total`` viewers in waves of ``at_once``: each loads the Explorer, changes two controls, leaves."""
    result = Result("churn")
    rng = random.Random(seed)
    result.rss_mb["before"] = rss_mb(pids)
    started = time.perf_counter()
    with MemoryWatch(pids) as watch:
        for _ in range(0, total, at_once):
            wave = [random.Random(rng.random()) for _ in range(at_once)]
            await asyncio.gather(
                *(one_viewer(url, page, EXPLORER_CHANGES, 2, 2.0, r, result, 1.0) for r in wave)
            )
        result.rss_mb["right after"] = rss_mb(pids)
        await asyncio.sleep(settle)
    result.seconds = time.perf_counter() - started
    result.rss_mb["peak"] = watch.peak
    result.rss_mb[f"after {settle:.0f} s"] = rss_mb(pids)
    return result


async def warm_up(url: str, page: str) -> None:
    """One viewer first, so that imports and first-run costs are not counted as load."""
    viewer = Viewer(url, page)
    run = await viewer.connect()
    await viewer.close()
    if not run.ok:
        raise RuntimeError(f"{url}/{page} does not run cleanly: {run.exceptions}")


def report(result: Result) -> None:
    line = (
        f"{result.name:<9} change p50 {result.p(50):6.3f} s  p95 {result.p(95):6.3f} s  "
        f"max {max(result.changes, default=float('nan')):6.3f} s  (n={len(result.changes)})  "
        f"load p50 {percentile(result.loads, 50):6.3f} s  errors {len(result.errors)}  "
        f"exceptions {len(result.exceptions)}  payload median {statistics.median(result.payload_bytes or [0]) / 1024:.1f} kB"
    )
    memory = "  ".join(f"{k} {v:.0f}" for k, v in result.rss_mb.items())
    if result.cpu_seconds:
        counted = "the changes'" if result.loads_first else "loads included"
        line += f"  server CPU ({counted}) {result.cpu_seconds:.1f} s = {result.cpu_per_change * 1000:.0f} ms per change"
    print(line)
    print(f"{'':<9} server RSS MB: {memory}  ({result.seconds:.1f} s)")
    for message in sorted(set(result.errors + result.exceptions))[:5]:
        print(f"{'':<9} ! {message[:200]}")


@contextlib.contextmanager
def servers(phases: list[str], changes=EXPLORER_CHANGES):
    """Every server the phases need, started once: {phase: (url, page, changes, pids)}."""
    with contextlib.ExitStack() as stack:
        running = {}
        if "trivial" in phases:
            process, url = stack.enter_context(_served("benchmarks/trivial_app.py"))
            running["trivial"] = (url, "", TRIVIAL_CHANGES, [process.pid], [url])
        if "explorer" in phases or "churn" in phases:
            process, url = stack.enter_context(_served("app.py"))
            running["explorer"] = (url, "Explorer", changes, [process.pid], [url])
        if "replicas" in phases:
            group = stack.enter_context(replicas())
            pids = [p.pid for p in group.processes[:2]]
            running["replicas"] = (group.url, "Explorer", changes, pids, group.replica_urls)
        yield running


@contextlib.contextmanager
def _served(script: str):
    process, url = serve(script=script)
    try:
        yield process, url
    finally:
        process.terminate()
        process.wait(20)


async def run_phases(args) -> dict[str, list[Result]]:
    """Each round runs the crowd phases back to back on servers that stay up; churn comes last."""
    phases = args.phases.split(",")
    results: dict[str, list[Result]] = {}
    with servers(phases, BAR_CHANGES if args.mix == "bar" else EXPLORER_CHANGES) as running:
        for _url, page, _, _, direct in running.values():
            for replica in direct:
                await warm_up(replica, page)
        cold = {name: rss_mb(pids) for name, (_, _, _, pids, _) in running.items()}
        for round_ in range(args.rounds):
            for name in ("trivial", "explorer", "replicas"):
                if name not in phases:
                    continue
                url, page, changes, pids, _ = running[name]
                result = await crowd(
                    name,
                    url,
                    page,
                    changes,
                    pids,
                    args.viewers,
                    args.changes,
                    args.spread,
                    args.seed + round_,
                    loads_first=args.loads_first,
                )
                results.setdefault(name, []).append(result)
                report(result)
        if "churn" in phases:
            url, page, _, pids, _ = running["explorer"]
            result = await churn(url, page, pids, args.churn, args.viewers, args.seed, args.settle)
            result.rss_mb = {"after warm-up": cold["explorer"], **result.rss_mb}
            results["churn"] = [result]
            report(result)
    return results


def ratios(results: dict[str, list[Result]]) -> None:
    """Per round, then the median over rounds: ratios of p95s measured minutes apart mean little."""
    p95 = {name: [r.p(95) for r in runs] for name, runs in results.items()}
    for name, values in p95.items():
        if name != "churn":
            print(f"{name:<9} p95 per round: {', '.join(f'{v:.3f}' for v in values)} s")
    for top, bottom, target in [("explorer", "trivial", "<= 1.5"), ("replicas", "explorer", "< 1")]:
        if top in p95 and bottom in p95:
            each = [a / b for a, b in zip(p95[top], p95[bottom], strict=True)]
            print(
                f"{top} p95 / {bottom} p95 = {statistics.median(each):.2f} median over rounds "
                f"({', '.join(f'{v:.2f}' for v in each)})  (target {target})"
            )
    cpu = {name: [r.cpu_per_change for r in runs] for name, runs in results.items() if name != "churn"}
    for top in ("explorer", "replicas"):
        if top in cpu and "trivial" in cpu:
            each = [a / b for a, b in zip(cpu[top], cpu["trivial"], strict=True)]
            print(
                f"{top} server CPU per change / trivial's = {statistics.median(each):.2f} median over rounds "
                f"({', '.join(f'{a * 1000:.0f}/{b * 1000:.0f} ms' for a, b in zip(cpu[top], cpu['trivial'], strict=True))})"
                "  (target <= 3)"
            )
    if "churn" in results:
        memory = results["churn"][0].rss_mb
        end = list(memory.values())[-1]
        print(
            f"churn memory end - start = {end - memory['before']:+.0f} MB  (target <= 300 MB); "
            f"end - after warm-up = {end - memory['after warm-up']:+.0f} MB"
        )


# ---------------------------------------------------------------- hostile phase


def tree_pids(root: int) -> list[int]:
    """``root`` and every process descended from it (a sweep's workers, say), from /proc."""
    children = collections.defaultdict(list)
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, IndexError, ValueError):
            children[int(stat.read_text().rsplit(")", 1)[1].split()[1])].append(int(stat.parent.name))
    found, todo = [], [root]
    while todo:
        found.append(pid := todo.pop())
        todo.extend(children[pid])
    return found


def tree_rss_mb(root: int) -> float:
    """Resident memory of ``root``'s process tree (a process that ends meanwhile counts 0)."""
    total = 0.0
    for pid in tree_pids(root):
        with contextlib.suppress(OSError):
            total += rss_mb([pid])
    return total


def tree_pss_mb(root: int) -> float:
    """Proportional memory of ``root``'s process tree (/proc/<pid>/smaps_rollup): a page that several
    processes share (a library both the server and a child map) counts once, split between them."""
    return sum(memory_kb(pid)[1] for pid in tree_pids(root)) * 1024 / MB


def tree_cpu_seconds(root: int) -> float:
    """CPU time (user + system) of the processes in ``root``'s tree now."""
    total = 0
    for pid in tree_pids(root):
        with contextlib.suppress(OSError, IndexError, ValueError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / os.sysconf("SC_CLK_TCK")


async def settle(root: int, limit: float, idle_cores: float = 0.15) -> float:
    """Wait until the server's tree uses under ``idle_cores`` for a second; the seconds it was busy."""
    started = time.perf_counter()
    while time.perf_counter() - started < limit:
        before = tree_cpu_seconds(root)
        await asyncio.sleep(1.0)
        if tree_cpu_seconds(root) - before < idle_cores:
            return time.perf_counter() - started - 1.0
    return limit


class TreeWatch(MemoryWatch):
    """Samples the RSS and PSS of a server's whole process tree every 0.2 s; keeps the highest of each."""

    def __init__(self, root: int):
        super().__init__([root])
        self.peak_pss = 0.0

    async def _sample(self) -> None:
        while True:
            self.peak = max(self.peak, tree_rss_mb(self.pids[0]))
            self.peak_pss = max(self.peak_pss, tree_pss_mb(self.pids[0]))
            await asyncio.sleep(0.2)


@dataclass
class Hostile:
    """One attack's run: the calm viewers' changes and the server's memory around it."""

    calm: Result
    outcome: str = ""
    idle_mb: float = 0.0
    peak_mb: float = 0.0
    idle_pss_mb: float = 0.0
    peak_pss_mb: float = 0.0
    after_mb: float = 0.0
    busy_after: float = 0.0
    baseline: Result | None = None  # the same server's calm viewers just before, without the attacker


def gamma_change(rng: random.Random) -> list[float]:
    return [round(rng.randint(-60, 60) * 0.05, 2)]  # the γ slider: -3 to 3 in steps of 0.05


async def calm_connect(viewer: Viewer, result: Result, rng: random.Random) -> Viewer | None:
    try:
        run = await viewer.connect(headers={"Cookie": f"normcore_route=calm{rng.getrandbits(64):x}"})
    except Exception as error:
        result.errors.append(f"load: {type(error).__name__}: {error}")
        return None
    result.loads.append(run.seconds)
    record(result, run)
    return viewer


async def calm_loop(viewer: Viewer, rng: random.Random, result: Result, stop: asyncio.Event, every: float):
    """Move γ about every ``every`` seconds until ``stop``; each change timed to its script_finished."""
    while not stop.is_set():
        await asyncio.sleep(rng.uniform(0.5, 1.5) * every)
        if stop.is_set():
            return
        try:
            run = await viewer.change("ga", gamma_change(rng))
        except Exception as error:  # a timeout is the measurement
            result.errors.append(f"{type(error).__name__}: {error}")
            return
        result.changes.append(run.seconds)
        record(result, run)


async def hostile_round(name: str, url: str, root: int, args) -> Hostile:
    """Attacker tabs open first; then ``--calm`` viewers for ``--window`` s, the attack launched at its start."""
    attack = attacks(args).get(name)
    out = Hostile(Result(name), outcome="" if attack else "(no attacker)")
    tabs = [
        Tab(url, page, query, timeout=args.attack_seconds + 120)
        for page, query in (attack.tabs if attack else ())
    ]
    for tab in tabs:
        run = await tab.connect()
        if not run.ok:
            out.outcome = f"attacker's page did not load: {run.status} {run.exceptions[:1]}"
    await settle(root, args.idle_wait)
    out.idle_mb, out.idle_pss_mb = tree_rss_mb(root), tree_pss_mb(root)
    rng = random.Random(args.seed)
    viewers = [Viewer(url, "Explorer", timeout=args.calm_timeout) for _ in range(args.calm)]
    connected = [
        v for v in await asyncio.gather(*(calm_connect(v, out.calm, rng) for v in viewers)) if v is not None
    ]
    stop = asyncio.Event()
    started = time.perf_counter()
    with TreeWatch(root) as watch:
        loops = [calm_loop(v, random.Random(rng.random()), out.calm, stop, args.interval) for v in connected]
        loops = [asyncio.get_running_loop().create_task(loop) for loop in loops]
        hostile = (
            asyncio.get_running_loop().create_task(attack.run(tabs, args))
            if attack and not out.outcome
            else None
        )
        await asyncio.sleep(args.window)
        stop.set()
        await asyncio.gather(*loops)
        out.peak_mb = max(watch.peak, tree_rss_mb(root))
        out.peak_pss_mb = max(watch.peak_pss, tree_pss_mb(root))
    out.calm.seconds = time.perf_counter() - started
    if hostile is not None:
        if not hostile.done():
            hostile.cancel()
            out.outcome = f"attack still going after the {args.window:.0f} s window"
        elif hostile.exception():
            out.outcome = f"attack failed: {type(hostile.exception()).__name__}: {hostile.exception()}"
        else:
            out.outcome = hostile.result()
    for client in [*tabs, *viewers]:
        with contextlib.suppress(Exception):
            await client.close()
    out.busy_after = await settle(root, args.idle_wait)
    out.after_mb = tree_rss_mb(root)
    return out


@contextlib.contextmanager
def _served_tree(script: str = "app.py"):
    """``_served`` that also ends every process the server started (a sweep's workers, say)."""
    process, url = serve(script=script)
    try:
        yield process, url
    finally:
        stop_tree(process)


def stop_tree(process) -> None:
    descendants = tree_pids(process.pid)[1:]
    process.terminate()
    try:
        process.wait(20)
    except Exception:
        process.kill()
        process.wait(20)
    for pid in descendants:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


async def run_hostile(args) -> list[Hostile]:
    """Each attack on a fresh server (one for all with ``--same-server``), right after a window of
    the same calm viewers without the attacker on that server: its baseline, seconds away, not minutes.
    """
    known = attacks(args)
    chosen = list(known) if args.attacks == "all" else args.attacks.split(",")
    unknown = [a for a in chosen if a not in known]
    if unknown:
        raise SystemExit(f"unknown attacks {unknown}; known: {', '.join(known)}")
    rows = []
    print(HOSTILE_HEADER, flush=True)
    with contextlib.ExitStack() as stack:
        server = stack.enter_context(_served_tree()) if args.same_server else None
        for name in chosen:
            with contextlib.ExitStack() as own:
                process, url = server or own.enter_context(_served_tree())
                await warm_up(url, "Explorer")
                baseline = await hostile_round("none", url, process.pid, args)
                rows.append(await hostile_round(name, url, process.pid, args))
                rows[-1].baseline = baseline.calm
                report_hostile_row(rows[-1])
    return rows


HOSTILE_HEADER = (
    f"{'attack':<13}{'calm p95 ms':>16}{'ratio':>7}{'errors':>7}{'n':>5}{'idle MB':>9}{'peak MB':>9}"
    f"{'delta MB':>9}{'PSS Δ':>7}{'busy s':>7}  attacker's outcome"
)


def report_hostile_row(row: Hostile) -> None:
    calm, base = row.calm, row.baseline
    errors = len(calm.errors) + len(calm.exceptions)
    p95s = f"{base.p(95) * 1000:.0f} -> {calm.p(95) * 1000:.0f}"
    print(
        f"{calm.name:<13}{p95s:>16}{calm.p(95) / base.p(95):>7.2f}{errors:>7}{len(calm.changes):>5}"
        f"{row.idle_mb:>9.0f}{row.peak_mb:>9.0f}{row.peak_mb - row.idle_mb:>+9.0f}"
        f"{row.peak_pss_mb - row.idle_pss_mb:>+7.0f}{row.busy_after:>7.0f}  {row.outcome}",
        flush=True,
    )
    for message in sorted(set(calm.errors + calm.exceptions))[:3]:
        print(f"{'':<13}! calm viewer: {message[:160]}", flush=True)
    for message in sorted(set(base.errors + base.exceptions))[:3]:
        print(f"{'':<13}! calm viewer, no attacker: {message[:160]}", flush=True)


def report_hostile(rows: list[Hostile], args) -> None:
    print()
    print(
        f"hostile phase: {args.calm} calm viewers moving γ on the Explorer every ~{args.interval:g} s, "
        f"{args.window:.0f} s without, then {args.window:.0f} s with the attacker; "
        "targets: ratio <= 1.5, delta <= +300 MB, 0 errors"
    )
    print(HOSTILE_HEADER)
    for row in rows:
        report_hostile_row(row)
    print(
        "calm p95: without -> with the attacker, same server; ratio: with / without; errors, n: the calm "
        "viewers' with the attacker; idle: the server's process tree before the attacker's window (RSS); "
        "delta MB: peak RSS - idle RSS; PSS Δ: the same in proportional memory (shared pages counted once); busy s: "
        "how long the tree kept over 0.15 of a core busy after everyone left (capped at --idle-wait)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--viewers", type=int, default=50, help="concurrent viewers (and churn wave size)")
    parser.add_argument("--changes", type=int, default=5, help="control changes per viewer")
    parser.add_argument(
        "--spread", type=float, default=5.0, help="seconds over which a viewer's changes fall"
    )
    parser.add_argument("--churn", type=int, default=200, help="viewers coming and going in the churn phase")
    parser.add_argument("--settle", type=float, default=10.0, help="seconds to wait after the churn")
    parser.add_argument(
        "--phases",
        default="trivial,explorer,replicas,churn",
        help="comma list; hostile is run only when named",
    )
    parser.add_argument(
        "--mix",
        choices=["sidebar", "bar"],
        default="sidebar",
        help="the Explorer's changes: sidebar (N, H = W, seed: mostly whole-page reruns) or bar (N, γ, β, norm)",
    )
    parser.add_argument("--rounds", type=int, default=3, help="rounds of the crowd phases, interleaved")
    parser.add_argument(
        "--loads-first",
        action="store_true",
        help="every viewer loads the page before any change, and the CPU per change counts the changes alone",
    )
    parser.add_argument("--seed", type=int, default=0)
    hostile = parser.add_argument_group("hostile phase")
    hostile.add_argument("--calm", type=int, default=10, help="calm viewers on the Explorer")
    hostile.add_argument(
        "--interval", type=float, default=1.0, help="seconds between a calm viewer's γ moves"
    )
    hostile.add_argument("--window", type=float, default=20.0, help="seconds of calm viewers per attack")
    hostile.add_argument(
        "--attack-seconds", type=float, help="how long an attack waits for the server [window - 2]"
    )
    hostile.add_argument(
        "--calm-timeout", type=float, default=60.0, help="a calm change slower than this is an error"
    )
    hostile.add_argument(
        "--attacks", default="all", help="comma list of attacks (benchmarks/attacks.py), or all"
    )
    hostile.add_argument(
        "--idle-wait", type=float, default=30.0, help="at most this long to wait for an idle server"
    )
    hostile.add_argument("--same-server", action="store_true", help="one server for every attack, in turn")
    hostile.add_argument("--puts", type=int, default=300, help="upload_flood: PUTs to new file ids")
    hostile.add_argument("--put-mb", type=float, default=5.0, help="upload_flood: MB (10**6 bytes) per PUT")
    hostile.add_argument(
        "--editor-kb", type=float, default=512, help="editor: kB of added rows in one message"
    )
    hostile.add_argument("--jpeg-scans", type=int, default=2000, help="jpeg: empty scans (500000 fill 5 MB)")
    hostile.add_argument(
        "--train-query", default="depth=6&width=200&steps=5000", help="training: the Training lab's settings"
    )
    args = parser.parse_args()
    args.attack_seconds = args.attack_seconds or max(1.0, args.window - 2)
    phases = args.phases.split(",")
    failures = 0
    if set(phases) - {"hostile"}:
        print(f"{args.viewers} viewers x {args.changes} changes within {args.spread:.0f} s; seed {args.seed}")
        results = asyncio.run(run_phases(args))
        ratios(results)
        failures += sum(len(r.errors) + len(r.exceptions) for runs in results.values() for r in runs)
    if "hostile" in phases:
        rows = asyncio.run(run_hostile(args))
        report_hostile(rows, args)
        failures += sum(len(c.errors) + len(c.exceptions) for r in rows for c in (r.calm, r.baseline))
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
