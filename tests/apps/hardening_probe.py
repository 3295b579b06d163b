"""A page that shows what tests/test_hardening.py checks from outside: cached values, the run
store, and this session's uploaded files. It installs the app's patches as every page does
(importing ui.chrome), unless NORMCORE_PROBE_BARE is set: the control that shows the attacks work."""

import os
import time

import streamlit as st
from streamlit.runtime import Runtime
from streamlit.runtime.scriptrunner import get_script_run_ctx

if not os.environ.get("NORMCORE_PROBE_BARE"):
    import ui.chrome  # noqa: F401  (applies ui.hardening)
from ui import server_state


@st.cache_data
def data_stamp() -> int:
    return time.time_ns()


@st.cache_resource
def resource_stamp() -> int:
    return time.time_ns()


files = Runtime.instance().uploaded_file_mgr.file_storage.get(get_script_run_ctx().session_id, {})
st.text(f"data={data_stamp()}")
st.text(f"resource={resource_stamp()}")
st.text(f"runs={id(server_state.RUNS)}")
st.text(f"files={len(files)}")
st.text(f"bytes={sum(len(f.data) for f in files.values())}")
st.text(f"ids={','.join(files)}")
