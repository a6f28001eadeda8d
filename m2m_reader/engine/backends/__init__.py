"""Backends chosen by name in the settings, and the composer in its own process."""
