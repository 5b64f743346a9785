"""Storage layer for Acme."""

NAME = "acme-store"


def describe() -> str:
    return f"{NAME}: Storage layer for Acme."
