"""Server-wide resources: the few objects every session of this process shares on purpose.

They live here as module-level singletons, not in ``st.cache_resource``: a cache is something
the server may throw away and rebuild, and before :mod:`ui.hardening` any websocket client
could empty every cache with ``BackMsg(clear_cache=True)``. A lock, a run cap or a store of
other viewers' results must not be rebuilt, or the cap resets (three clears let 8 trainings
run against a cap of 2) and finished runs vanish for everyone. A module is imported once per
process, so these are created once and no client message can replace them.

What stays in ``st.cache_data``/``st.cache_resource`` (arrays in :mod:`ui.explorer_cache`, the
Train vs eval model) or in a bounded cache of its own (figures in :mod:`ui.cached`) is recomputable:
losing it costs time, never correctness. Clearing from a client is blocked anyway (:mod:`ui.hardening`).

Nothing here holds one viewer's state: everything is keyed by the training settings or by
a viewer id, and bounded.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import OrderedDict
from typing import TYPE_CHECKING

from normcore.host import usable_cpus

if TYPE_CHECKING:  # normcore.training imports torch: only pages that train pay for it
    from normcore.training import TrainConfig, TrainResult

MAX_STORED_RUNS = 256  # a recorded run is at most a few hundred kB
# Training runs are child processes (ui/train_child.py: one torch thread each, at lower CPU priority);
# they no longer hold the server's interpreter lock, but they share its CPUs. One core stays free for
# the viewers: with two runs on a 2-core host the calm viewers' p95 doubled when runs were threads of
# the server (docs/benchmarks.md, hostile phase).
MAX_CONCURRENT = max(1, usable_cpus() - 1)
QUEUE_STALE_SECONDS = 5.0  # a waiting viewer polls every second; one silent this long has left

# Cookies that name a browser rather than a tab: nginx's sticky-route cookie (deploy/nginx.conf)
# and Streamlit's XSRF cookie, set once per browser and sent by every tab's websocket.
BROWSER_COOKIES = ("normcore_route", "_streamlit_xsrf")


class RunStore:
    """Finished runs (a thread-safe LRU), the runs in flight, and the training slots.

    Slots: at most ``slots`` runs train at once on the host, at most one per viewer (a viewer is
    a browser: its tabs share one id, see :func:`viewer_id`), handed out first come, first served.
    A viewer whose run just ended and who presses Train again queues behind everyone already
    waiting, so two viewers cannot keep both slots between them while a third waits.
    """

    def __init__(self, max_entries: int = MAX_STORED_RUNS, slots: int = MAX_CONCURRENT):
        self.max_entries = max_entries
        self.slots = slots
        self.lock = threading.Lock()
        self.done: OrderedDict[TrainConfig, TrainResult] = OrderedDict()
        self.running: dict[TrainConfig, threading.Event] = {}
        self.holders: dict[str, str] = {}  # viewer -> session training in one of the slots
        self.queue: OrderedDict[str, float] = OrderedDict()  # waiting viewer -> when it last asked

    def get(self, config: TrainConfig) -> TrainResult | None:
        with self.lock:
            if config in self.done:
                self.done.move_to_end(config)
                return self.done[config]
            return None

    def put(self, config: TrainConfig, result: TrainResult) -> None:
        with self.lock:
            self.done[config] = result
            self.done.move_to_end(config)
            while len(self.done) > self.max_entries:
                self.done.popitem(last=False)

    def claim(self, config: TrainConfig) -> threading.Event | None:
        """Mark ``config`` as being trained by the caller; returns another caller's event if it already is."""
        with self.lock:
            if config in self.running:
                return self.running[config]
            self.running[config] = threading.Event()
            return None

    def release(self, config: TrainConfig) -> None:
        with self.lock:
            self.running.pop(config).set()

    def enter(self, viewer: str, session: str, now: float | None = None) -> str:
        """Ask for a training slot: ``"go"`` (it is yours), ``"wait"`` (ask again) or ``"busy"``.

        ``"busy"``: another session of the same viewer (another tab) holds a slot. The same
        session still holding one is a run being stopped by a rerun: that one waits.
        """
        now = time.monotonic() if now is None else now
        with self.lock:
            holder = self.holders.get(viewer)
            if holder is not None and holder != session:
                self.queue.pop(viewer, None)
                return "busy"
            for waiting, asked in list(self.queue.items()):
                if now - asked > QUEUE_STALE_SECONDS:
                    del self.queue[waiting]
            if holder is None:
                self.queue[viewer] = now  # keeps its place in line if it was waiting already
                ahead = list(self.queue).index(viewer)
                if ahead < self.slots - len(self.holders):
                    del self.queue[viewer]
                    self.holders[viewer] = session
                    return "go"
            return "wait"

    def leave(self, viewer: str, session: str) -> None:
        """Give back the slot ``session`` took (a no-op if it holds none)."""
        with self.lock:
            if self.holders.get(viewer) == session:
                del self.holders[viewer]

    def training(self) -> int:
        with self.lock:
            return len(self.holders)


RUNS = RunStore()


def viewer_id(cookies: dict[str, str], session: str) -> str:
    """Who is asking, as far as a server can tell: the browser's cookie, else the session.

    Tabs of one browser share its cookies; a client that sends none is one viewer per session.
    (Not the address: behind a campus NAT a whole lecture hall shares one.)
    """
    for name in BROWSER_COOKIES:
        if value := cookies.get(name):
            if name == "_streamlit_xsrf":  # re-masked on every page load; the token inside is stable
                from streamlit.web.server.starlette.starlette_app_utils import decode_xsrf_token_string

                token, _ = decode_xsrf_token_string(value)
                value = token.hex() if token else value
            return f"{name}:{hashlib.sha256(value.encode()).hexdigest()[:16]}"
    return f"session:{session}"
