"""Plotly figures as pure functions: numbers in, ``go.Figure`` out; no Streamlit here."""
