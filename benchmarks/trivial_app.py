"""The floor for benchmarks/load.py: one slider and one line of text, Streamlit's own cost per rerun."""

import streamlit as st

value = st.slider("Value", 0, 100, 50, key="x")
st.write(f"The slider is at {value}.")
