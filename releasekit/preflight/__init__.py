"""The gates that run before anything is pinned or uploaded."""
