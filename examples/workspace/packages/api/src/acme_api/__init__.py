"""The Acme service API."""

NAME = "acme-api"


def describe() -> str:
    return f"{NAME}: The Acme service API."
