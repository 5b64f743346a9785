"""The release workflow: Conventional Commits, changelog, bumps, tags, and prepare / release / notify on the forge."""
