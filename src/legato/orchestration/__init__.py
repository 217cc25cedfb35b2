"""The one door for run state changes: validation against the state machine, and
LocalBackend, the Backend protocol served in-process over the store."""
