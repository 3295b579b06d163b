"""One string catalog per language; every key exists in both (tests/test_i18n.py)."""
