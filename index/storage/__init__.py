"""Where an index lives: the folder (manifest, store, snapshots, change-log replay, writer lock)."""
