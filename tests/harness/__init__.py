"""Real-parts test harness: a local index with faults, uv environments, git doubles."""
