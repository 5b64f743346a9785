"""releasekit: release orchestration for uv workspaces."""

__version__ = "0.1.0"
