"""The environment that makes uv (and releasekit's own HTTP) hermetic in tests.

uv reads a lot from its environment and from config files; a developer's UV_INDEX,
uv.toml, ~/.netrc or proxy settings must not change what a test does. Traffic to any
host other than loopback is routed to an :class:`~tests.harness.netutil.EgressTrap`
(a refusing proxy), so an escape fails fast and is recorded instead of reaching PyPI.
"""

from __future__ import annotations

import sys
from pathlib import Path

from tests.harness.index import LocalIndex

#: Inherited variables removed for the duration of a test (besides every ``UV_*``).
SCRUBBED = ("VIRTUAL_ENV", "PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL", "PIP_FIND_LINKS",
            "PIP_NO_INDEX", "PIP_CONFIG_FILE", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE")
LOOPBACK = "127.0.0.1,localhost,::1"


def hermetic_uv_env(index: LocalIndex, cache_dir: Path, trap_url: str,
                    home: Path) -> dict[str, str]:
    """Variables for running uv or releasekit against ``index`` and nothing else.

    Deliberately absent: UV_PUBLISH_URL, UV_PUBLISH_CHECK_URL and UV_TRUSTED_PUBLISHING,
    so code under test must pass them itself (a forgotten flag fails loudly). Note that
    UV_DEFAULT_INDEX beats a command line ``--index-url`` (not ``--default-index``).
    """
    home.mkdir(parents=True, exist_ok=True)
    netrc = home / "netrc"
    netrc.touch()
    env = {
        "UV_DEFAULT_INDEX": index.simple_url,
        "UV_CACHE_DIR": str(cache_dir),
        "UV_HTTP_RETRIES": "0",
        "UV_HTTP_TIMEOUT": "30",
        "UV_PUBLISH_USERNAME": index.username,
        "UV_PUBLISH_PASSWORD": index.password,
        "UV_NO_CONFIG": "1",
        "UV_PYTHON_DOWNLOADS": "never",
        "UV_PYTHON_PREFERENCE": "only-system",
        "UV_PYTHON": sys.executable,
        "UV_NO_PROGRESS": "1",
        "UV_KEYRING_PROVIDER": "disabled",
        "UV_CREDENTIALS_DIR": str(home / "credentials"),
        "UV_PYTHON_INSTALL_DIR": str(home / "python"),
        "NETRC": str(netrc),
        "NO_PROXY": LOOPBACK,
        "no_proxy": LOOPBACK,
    }
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"):
        env[name] = env[name.lower()] = trap_url
    return env
