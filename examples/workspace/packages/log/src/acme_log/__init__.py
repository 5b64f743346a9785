"""Structured logging for Acme."""

NAME = "acme-log"


def describe() -> str:
    return f"{NAME}: Structured logging for Acme."
