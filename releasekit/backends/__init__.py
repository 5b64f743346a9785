"""Every external effect goes through one of these: process (uv, git), registry and forge HTTP."""
