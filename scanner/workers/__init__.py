"""Worker processes with per-task resource limits."""
