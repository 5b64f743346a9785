"""Core types for the Acme example workspace."""

NAME = "acme-core"


def describe() -> str:
    return f"{NAME}: Core types for the Acme example workspace."
