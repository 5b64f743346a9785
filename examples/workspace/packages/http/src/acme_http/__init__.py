"""HTTP helpers for Acme."""

NAME = "acme-http"


def describe() -> str:
    return f"{NAME}: HTTP helpers for Acme."
