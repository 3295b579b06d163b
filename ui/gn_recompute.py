"""The Small batches page's "Recompute live": a viewer's own run of the gn-batch sweep.

The sweep runs as a background job of :mod:`ui.jobs` (one per session, one per host at a
time, killed when its viewer leaves). Its result goes to the asking session's
``st.session_state`` only: every other viewer keeps the shipped figure, and the asker can
switch back to it.
"""

from __future__ import annotations

import os

import streamlit as st

from normcore.experiments import gn_batch
from normcore.host import usable_cpus
from ui import jobs
from ui.i18n import t, texts

MINE = "gn_mine"  # session_state: this session's recomputed sweep
VIEW = "gn_view"  # session_state: "mine" or "shipped"
ERROR = "gn_error"  # session_state: why the last recompute ended without a result
TIMEOUT_SECONDS = 900
# The documented host (docs/deploy.md: docker run --memory=1g) minus the server's own ~300 MB.
MEMORY_MB = float(os.environ.get("NORMCORE_JOB_MEMORY_MB", "700"))
POLL_SECONDS = 1.0


def enabled() -> bool:
    """False when the host sets ``NORMCORE_RECOMPUTE=off`` (see docs/deploy.md)."""
    return os.environ.get("NORMCORE_RECOMPUTE", "on").strip().lower() not in {"off", "0", "false", "no"}


def command(seeds: int) -> list[str]:
    """The sweep a viewer's press runs, with as many workers as the CPUs and the memory budget allow."""
    workers = gn_batch.workers_within(MEMORY_MB, usable_cpus())
    return gn_batch.sweep_command(seeds, ("--workers", str(workers)), "{out}")


def shown(shipped: dict) -> tuple[dict, bool]:
    """The sweep to draw for this session and whether it is the session's own recomputation."""
    mine = st.session_state.get(MINE)
    if mine is None:
        return shipped, False
    own = st.radio(
        t("small.gn_view"),
        ["mine", "shipped"],
        format_func=lambda k: t(f"small.gn_view.{k}"),
        key=VIEW,
        horizontal=True,
        help=t("small.gn_view_help"),
    )
    return (mine, True) if own == "mine" else (shipped, False)


def chart_labels() -> dict[str, str]:
    """The texts of ``figures.small_batches.error_vs_batch_size``."""
    return texts(x="small.gn_x", y="small.gn_y", spread="small.gn_spread")


def provenance(sweep: dict, own: bool) -> str:
    """Where the figure's sweep comes from: this session's recomputation or the shipped file."""
    facts = {"seeds": gn_batch.seed_count(sweep), "seconds": sweep["seconds"], "workers": sweep["workers"]}
    return t("small.gn_mine", **facts) if own else t("small.gn_shipped", **facts, command=sweep["command"])


def comparison(summary: dict, seeds: int) -> str:
    """Batch Norm against Group Norm at batch 2 and 32 (those the sweep holds), beyond the seeds' spread or
    not; ``summary`` from :func:`normcore.experiments.gn_batch.summarize`."""
    sentences = [t("small.gn_numbers", seeds=seeds)]
    for b in (2, 32):
        if b in summary["batch"]["batch_size"] and b in summary["group"]["batch_size"]:
            found = gn_batch.compare(summary, "batch", "group", b)
            ranges = {k: f"{v:.1f}" for k, v in found.items() if k != "verdict"}
            sentences.append(t(f"small.gn_compare.{found['verdict']}", b=b, **ranges))
    return " ".join(sentences)


def panel(seeds: int, shipped: dict) -> None:
    """The button, and while a job is in flight its place in the queue or its progress (polled).

    The button's help estimates the CPU time from the ``shipped`` sweep's measured runs.
    """
    if not enabled():
        st.caption(t("small.gn_recompute_off"))
        return
    job = jobs.REGISTRY.poll(jobs.session_id())
    in_flight = job is not None and job.in_flight
    st.fragment(run_every=POLL_SECONDS if in_flight else None)(_panel)(seeds, shipped)


def _panel(seeds: int, shipped: dict) -> None:
    session = jobs.session_id()
    job = jobs.REGISTRY.poll(session)
    if job is not None and job.state == jobs.DONE:
        st.session_state[MINE] = job.result
        st.session_state.pop(VIEW, None)  # show the new result
        jobs.REGISTRY.forget(session)
        st.rerun()
    if job is not None and job.state == jobs.FAILED:
        st.session_state[ERROR] = t(f"small.gn_failed.{job.reason}", error=job.error, limit=MEMORY_MB)
        jobs.REGISTRY.forget(session)
        job = None
    if job is None:
        if ERROR in st.session_state:
            st.warning(st.session_state[ERROR])
        if st.button(
            t("small.gn_recompute", seeds=seeds),
            key="recompute",
            help=_help(seeds, shipped),
            icon=":material/refresh:",
        ):
            st.session_state.pop(ERROR, None)
            jobs.REGISTRY.submit(
                session,
                command(seeds),
                timeout=TIMEOUT_SECONDS,
                memory_mb=MEMORY_MB,
                parse_progress=gn_batch.parse_progress,
            )
            st.rerun()  # the whole page, so that the panel polls from now on
        return
    if job.state == jobs.QUEUED:
        place, waiting = jobs.REGISTRY.place(job)
        st.progress(0.0, text=t("small.gn_queued", place=place, waiting=waiting))
    else:
        done = job.done / job.total if job.total else 0.0
        seconds = round(job.elapsed())
        text = t("small.gn_progress", done=job.done, total=job.total, seconds=seconds)
        st.progress(done, text=text if job.total else t("small.gn_starting", seconds=seconds))
    if st.button(t("small.gn_cancel"), key="recompute_cancel", icon=":material/stop:"):
        jobs.REGISTRY.cancel(session)
        st.rerun()


def _help(seeds: int, shipped: dict) -> str:
    runs = len(gn_batch.NORMS) * len(gn_batch.BATCH_SIZES)
    cpu = gn_batch.cpu_seconds_per_seed(shipped)
    return t("small.gn_recompute_help", runs=runs, cpu=f"{cpu:.0f}", seeds=seeds, total=f"{cpu * seeds:.0f}")
