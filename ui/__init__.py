"""Streamlit glue shared by every page: page chrome, translations, URL checks."""
