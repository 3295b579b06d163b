"""Per-session limits Streamlit 1.67 lacks, patched in at one place for a public host.

Every patch below replaces one Streamlit function, names it and says why; :func:`apply` is
called by ``ui.chrome.page_setup`` (the first call of every page), so it is in force from the
first script run of the process, and calling it again changes nothing. The patches act on
Streamlit's classes, so sessions and managers that already exist get them too. ``apply``
refuses to run on a Streamlit whose internals differ from those the patches were written for
(a test checks it), rather than patch something that is no longer there.

1. ``AppSession._handle_clear_cache_request`` (streamlit/runtime/app_session.py) empties
   ``st.cache_data`` and ``st.cache_resource`` *for every session* when any websocket client
   sends ``BackMsg(clear_cache=True)``; ``client.toolbarMode = "viewer"`` only hides the menu
   item. On this app it does nothing: the server's caches are the server's.
2. ``MemoryUploadedFileManager.add_file`` (streamlit/runtime/memory_uploaded_file_manager.py)
   keeps every file PUT to ``/_stcore/upload_file/<session>/<any id>`` until the session ends
   (300 PUTs took a server from 178 MB to 1.68 GB). Here a session keeps at most
   :data:`MAX_FILES_PER_SESSION` files and :data:`MAX_BYTES_PER_SESSION` bytes: a new file
   evicts that session's oldest ones. The app's two uploaders take one file each.
3. ``DataEditorSerde.deserialize`` (streamlit/elements/widgets/data_editor.py) and
   ``PlotlyChartSelectionSerde.deserialize`` (streamlit/elements/plotly_chart.py) turn a
   widget's JSON from the client into its value, and raise on malformed JSON, which the
   sender's page showed as an error. Here a value that is not what the frontend sends counts
   as no edit / no selection. Every editor of this app has a fixed number of rows, so added
   and deleted rows in a client's message are dropped (Streamlit applies them whatever
   ``num_rows`` says: ~0.6 ms a row with the interpreter lock held).
4. ``data_editor._apply_dataframe_edits`` applies those edits to the page's frame and raises
   on a row or column the frame does not have. Here such edits leave the frame as it was.
5. ``WStates.__getitem__`` (streamlit/runtime/state/session_state.py) deserializes a widget's
   value from the client when the script reads it. A value of a kind the widget never sends (a
   list for a selectbox) raised there (``TypeError: unhashable type``), or was read and then
   failed when Streamlit sent it back in the widget's own kind; the value stayed in the session,
   so every later run of that viewer's page failed. Here a client's value that is not of the
   widget's kind, or that its deserializer refuses, counts as none: the widget shows its default
   (or the link's value), and the value is gone after the run. A state with no value (what the
   frontend sends for a cleared uploader or selection) is read as before.
"""

from __future__ import annotations

import json
import logging
import numbers

from streamlit.elements import plotly_chart
from streamlit.elements.widgets import data_editor
from streamlit.runtime.app_session import AppSession
from streamlit.runtime.memory_uploaded_file_manager import MemoryUploadedFileManager
from streamlit.runtime.state.session_state import Serialized, WStates

MAX_FILES_PER_SESSION = 4  # two uploaders of one file each, and a replaced file not yet deleted
MAX_BYTES_PER_SESSION = 12 * 1024 * 1024  # two files at server.maxUploadSize (5 MB), plus room
MAX_EDITED_ROWS = 64  # cells a client may edit in one message: far above the app's 16 x 16 tables

_LOGGER = logging.getLogger(__name__)
_PATCHED = "_normcore_hardened"


def apply() -> None:
    """Install every patch once; later calls do nothing."""
    if getattr(AppSession, _PATCHED, False):
        return
    _check_streamlit()
    AppSession._handle_clear_cache_request = _refuse_clear_cache
    MemoryUploadedFileManager.add_file = _add_file_bounded
    data_editor.DataEditorSerde.deserialize = _editor_state_or_empty(data_editor.DataEditorSerde.deserialize)
    plotly_chart.PlotlyChartSelectionSerde.deserialize = _selection_or_empty(
        plotly_chart.PlotlyChartSelectionSerde.deserialize
    )
    data_editor._apply_dataframe_edits = _edits_or_unchanged(data_editor._apply_dataframe_edits)
    WStates.__getitem__ = _readable_or_none(WStates.__getitem__)
    setattr(AppSession, _PATCHED, True)


def _check_streamlit() -> None:
    """The internals the patches replace or rely on, as Streamlit 1.67 has them."""
    manager = MemoryUploadedFileManager("/_stcore/upload_file")
    missing = [
        name
        for owner, name in [
            (AppSession, "_handle_clear_cache_request"),
            (manager, "file_storage"),
            (manager, "_lock"),
            (manager, "_total_bytes"),
            (manager, "_file_count"),
            (data_editor, "DataEditorSerde"),
            (data_editor, "_apply_dataframe_edits"),
            (plotly_chart, "PlotlyChartSelectionSerde"),
            (WStates, "states"),
        ]
        if not hasattr(owner, name)
    ]
    if missing:
        raise RuntimeError(f"ui.hardening was written for Streamlit 1.67; this one lacks {missing}")


def _refuse_clear_cache(self: AppSession) -> None:
    """Patched ``AppSession._handle_clear_cache_request``: a client may not clear the server's caches."""
    _LOGGER.info("Refused a clear_cache request from session %s", self.id)


def _add_file_bounded(self: MemoryUploadedFileManager, session_id: str, file) -> None:
    """Patched ``MemoryUploadedFileManager.add_file``: the original, plus per-session bounds."""
    with self._lock:
        files = self.file_storage[session_id]
        old = files.pop(file.file_id, None)  # a replaced file counts as new: it goes to the end
        if old is not None:
            self._total_bytes -= len(old.data)
            self._file_count -= 1
        stored = sum(len(f.data) for f in files.values())
        while files and (
            len(files) >= MAX_FILES_PER_SESSION or stored + len(file.data) > MAX_BYTES_PER_SESSION
        ):
            oldest = files.pop(next(iter(files)))  # dicts keep insertion order
            stored -= len(oldest.data)
            self._total_bytes -= len(oldest.data)
            self._file_count -= 1
        files[file.file_id] = file
        self._total_bytes += len(file.data)
        self._file_count += 1


def _editor_state_or_empty(deserialize):
    def checked(self, ui_value: str | None):
        """Patched ``DataEditorSerde.deserialize``: cell edits only, well-formed, or none."""
        try:
            raw = None if ui_value is None else json.loads(ui_value)
            edits = _cell_edits(raw.get("edited_rows", {})) if isinstance(raw, dict) else None
        except (ValueError, TypeError, RecursionError):
            edits = None
        if edits is None and ui_value is not None:
            _LOGGER.info("Ignored a malformed data editor value of %d characters", len(ui_value))
        return deserialize(self, json.dumps({"edited_rows": edits}) if edits else None)

    return checked


def _cell_edits(edited) -> dict[int, dict[str, object]] | None:
    """``{row: {column: value}}`` as the frontend sends it, or None."""
    if not isinstance(edited, dict) or len(edited) > MAX_EDITED_ROWS:
        return None
    cells: dict[int, dict[str, object]] = {}
    for row, changes in edited.items():
        if not (isinstance(row, str) and row.isdigit() and int(row) < MAX_EDITED_ROWS):
            return None
        if not isinstance(changes, dict) or len(changes) > MAX_EDITED_ROWS:
            return None
        if not all(isinstance(k, str) and _scalar(v) for k, v in changes.items()):
            return None
        cells[int(row)] = changes
    return cells


def _scalar(value) -> bool:
    return value is None or isinstance(value, (str, bool, numbers.Real))


def _selection_or_empty(deserialize):
    def checked(self, ui_value: str | None):
        """Patched ``PlotlyChartSelectionSerde.deserialize``: a well-formed selection, or none."""
        try:
            state = deserialize(self, ui_value)
            selection = state["selection"]
            ok = all(
                isinstance(selection.get(k, []), list) for k in ("points", "point_indices", "box", "lasso")
            )
            ok = ok and all(isinstance(p, dict) for p in selection.get("points", []))
        except (ValueError, TypeError, KeyError, AttributeError, RecursionError):
            ok = False
        if ok:
            return state
        _LOGGER.info("Ignored a malformed chart selection of %d characters", len(ui_value or ""))
        return deserialize(self, None)

    return checked


def _edits_or_unchanged(apply_edits):
    def checked(df, data_editor_state, dataframe_schema):
        """Patched ``data_editor._apply_dataframe_edits``: edits that fit the frame, or none."""
        try:
            return apply_edits(df.copy(), data_editor_state, dataframe_schema)  # the original edits in place
        except (KeyError, IndexError, ValueError, TypeError):
            _LOGGER.info("Ignored data editor edits that do not fit its table")
            return df

    return checked


def _readable_or_none(getitem):
    def checked(self: WStates, widget_id: str):
        """Patched ``WStates.__getitem__``: a client's value the widget cannot read is no value."""
        state = self.states.get(widget_id)
        if not isinstance(state, Serialized):
            return getitem(self, widget_id)  # a value already read, or none
        expected = getattr(self.widget_metadata.get(widget_id), "value_type", None)
        try:
            if state.value.WhichOneof("value") in (None, expected):  # None: the viewer cleared it
                return getitem(self, widget_id)
        except (TypeError, ValueError, AttributeError, IndexError, OverflowError):
            pass
        _LOGGER.info("Ignored a value widget %s cannot read", widget_id)
        raise KeyError(widget_id)  # as for a widget the client sent nothing for

    return checked
