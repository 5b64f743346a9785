"""The workspace model: pyproject files read the way uv and the build backends read them."""
