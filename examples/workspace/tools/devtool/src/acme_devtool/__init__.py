"""Internal developer tooling; never uploaded."""

NAME = "acme-devtool"


def describe() -> str:
    return f"{NAME}: Internal developer tooling; never uploaded."
