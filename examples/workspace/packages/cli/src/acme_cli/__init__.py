"""Command line for the Acme service."""

NAME = "acme-cli"


def describe() -> str:
    return f"{NAME}: Command line for the Acme service."
