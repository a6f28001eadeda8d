"""The ground floor: errors, cancel tokens, events, paths, atomic writes, settings, the
store and its on-disk cache, offline mode and the sqlite databases.

Everything above imports from here; nothing here imports from above."""
