"""Whether the current script run has been asked to stop: a rerun, or its session ended.

Streamlit stops a run only at its next ``st.`` call; work that blocks in between (a child
process the script waits for) polls :func:`stop_requested` instead and ends itself.
"""

from __future__ import annotations

from collections.abc import Callable

from streamlit.runtime.scriptrunner import get_script_run_ctx
from streamlit.runtime.scriptrunner_utils.script_requests import ScriptRequestType


def stop_requested() -> Callable[[], bool]:
    """A check, callable from any thread, that turns true once this run is asked to stop or rerun.

    Reads ``ScriptRequests._state``, the flag ``request_stop`` and ``request_rerun`` set
    (Streamlit 1.67; ``tests/test_uploads_hostile.py`` fails if it moves). Outside a script
    run the check is always false.
    """
    ctx = get_script_run_ctx(suppress_warning=True)
    requests = ctx.script_requests if ctx is not None else None
    if requests is None:
        return lambda: False
    return lambda: requests._state is not ScriptRequestType.CONTINUE
