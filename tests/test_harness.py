"""Tests of the test harness itself, with the real uv, pypiserver and git.

They pin down what the harness promises the pipeline tests: the local index behaves like
pypiserver (and, when asked, like PyPI), each fault reaches uv and releasekit the way the
real one does, and nothing leaves 127.0.0.1.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time
import zipfile
from collections.abc import Callable, Mapping
from pathlib import Path

import pytest
import requests

from releasekit.backends.git import Git
from releasekit.backends.registry import IndexClient
from releasekit.backends.uv import PublishOutcome, Uv, uv_binary
from releasekit.errors import CommandError
from releasekit.support.retry import TransientError
from tests.harness.faults import EOF, RESET
from tests.harness.gitrepo import GitOrigin, GitRepo
from tests.harness.index import LocalIndex
from tests.harness.netutil import EgressTrap
from tests.harness.projects import make_project, post_upload, seed_files, uv_build
from tests.harness.pypi import PEP691_JSON
from tests.harness.uvenv import hermetic_uv_env

ROOT = Path(__file__).resolve().parent.parent
JSON_ACCEPT = "application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html;q=0.2"


@pytest.fixture(scope="module")
def dists(tmp_path_factory: pytest.TempPathFactory, wheelhouse: Path) -> dict[str, Path]:
    """rk-tiny 0.1.0 (sdist + wheel) and a same-named wheel with different bytes.

    Built once per module, offline from the wheelhouse, so publish tests skip the build.
    """
    root = tmp_path_factory.mktemp("dists")
    env = {k: v for k, v in os.environ.items() if not k.startswith("UV_")}
    env.update(UV_NO_INDEX="1", UV_FIND_LINKS=str(wheelhouse), UV_NO_CONFIG="1",
               UV_CACHE_DIR=str(root / "cache"), UV_PYTHON=sys.executable,
               UV_PYTHON_DOWNLOADS="never")
    good = uv_build(make_project(root / "a", "rk-tiny"), root / "good", env)
    by_kind = {("wheel" if p.name.endswith(".whl") else "sdist"): p for p in good}
    # Same filename, different bytes: a valid wheel whose zip comment differs.
    other = root / "other" / by_kind["wheel"].name
    other.parent.mkdir()
    shutil.copy(by_kind["wheel"], other)
    with zipfile.ZipFile(other, "a") as archive:
        archive.comment = b"rebuilt with different bytes"
    assert sha256(other) != sha256(by_kind["wheel"])
    return {**by_kind, "other_wheel": other}


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def publish(index: LocalIndex, files: list[Path], *, check_url: bool = True,
            env: Mapping[str, str] | None = None) -> PublishOutcome:
    """One `uv publish` through releasekit's own backend, so its classifier is exercised."""
    return Uv().publish(files, publish_url=index.upload_url,
                        check_url=index.simple_url if check_url else "",
                        trusted_publishing="never", env=env, timeout=60)


def poll(check: Callable[[], bool], timeout: float = 10.0, interval: float = 0.05) -> float:
    """Seconds until ``check()`` is true; the way releasekit itself waits for an index."""
    start = time.monotonic()
    while not check():
        if time.monotonic() - start > timeout:
            raise TimeoutError("condition not met")
        time.sleep(interval)
    return time.monotonic() - start


# -- the index itself -------------------------------------------------------------------------


def test_index_starts_fast_serves_the_backend_and_stops_clean(tmp_path: Path,
                                                              wheelhouse: Path) -> None:
    started = time.perf_counter()
    index = LocalIndex(tmp_path / "pkgs", seed_dirs=[wheelhouse])
    startup = time.perf_counter() - started
    try:
        assert startup < 1.0, f"index took {startup:.2f} s to start"
        page = requests.get(index.simple_url + "hatchling/", timeout=5)
        assert page.status_code == 200
        assert "#sha256=" in page.text and "hatchling-" in page.text
        assert requests.get(index.simple_url + "nope/", timeout=5).status_code == 404
        assert index.files() == {}, "the seeded wheelhouse is not part of files()"
        # A keep-alive connection left open must not keep stop() waiting.
        idle = socket.create_connection(("127.0.0.1", int(index.url.rsplit(":", 1)[1])))
        idle.sendall(b"GET /simple/ HTTP/1.1\r\nHost: x\r\n\r\n")
        assert idle.recv(12).startswith(b"HTTP/1.1 200")
    finally:
        stopping = time.perf_counter()
        index.stop()
    assert time.perf_counter() - stopping < 0.5
    idle.close()
    with pytest.raises(requests.ConnectionError):
        requests.get(index.simple_url, timeout=2)
    alive = [t.name for t in threading.enumerate() if t.name.startswith("index-")]
    assert not alive


def test_uploads_need_the_test_credentials(local_index: LocalIndex, dists: dict[str, Path]) -> None:
    assert post_upload(local_index, dists["wheel"], auth=None).status_code == 401
    assert post_upload(local_index, dists["wheel"], auth=("u", "wrong")).status_code == 403
    assert local_index.files() == {}
    assert post_upload(local_index, dists["wheel"]).status_code == 200
    assert local_index.files() == {dists["wheel"].name: sha256(dists["wheel"])}
    assert local_index.uploads[dists["wheel"].name].posts == 3
    assert local_index.uploads[dists["wheel"].name].stored == 1


# -- real uv: build and publish ---------------------------------------------------------------


@pytest.mark.parametrize("pep691", [False, True], ids=["html", "pep691"])
def test_uv_build_gets_its_backend_from_the_local_index(
        local_index: LocalIndex, uv_env: dict[str, str], tmp_path: Path, pep691: bool) -> None:
    local_index.faults.set(pep691=pep691)
    built = uv_build(make_project(tmp_path, "rk-built", "1.2.3"), tmp_path / "dist", uv_env)
    assert [p.name for p in built] == ["rk_built-1.2.3-py3-none-any.whl", "rk_built-1.2.3.tar.gz"]
    pages = local_index.requests_for("GET", "/simple/hatchling/")
    assert pages and all(r.status == 200 for r in pages)
    expected = PEP691_JSON if pep691 else "text/html"
    assert all(r.response_type.startswith(expected) for r in pages)
    assert local_index.requests_for("GET", "/packages/hatchling-")


def test_publish_check_url_skip_and_mismatch(local_index: LocalIndex, uv_env: dict[str, str],
                                             dists: dict[str, Path]) -> None:
    files = [dists["sdist"], dists["wheel"]]
    first = publish(local_index, files)
    assert first.ok and set(first.uploaded) == {p.name for p in files}
    assert local_index.files() == {p.name: sha256(p) for p in files}

    again = publish(local_index, files)
    assert again.ok and set(again.skipped) == {p.name for p in files}

    mismatch = publish(local_index, [dists["other_wheel"]])
    assert (mismatch.ok, mismatch.kind) == (False, "mismatch")
    assert "Local file and index file do not match" in mismatch.message

    assert len(local_index.requests_for("POST")) == 2, "skips and mismatches upload nothing"
    assert all((s.posts, s.stored, s.duplicates) == (1, 1, 0)
               for s in local_index.uploads.values())


def test_duplicates_pypiserver_409_versus_pypi_semantics(
        local_index: LocalIndex, uv_env: dict[str, str], dists: dict[str, Path]) -> None:
    wheel = dists["wheel"]
    assert publish(local_index, [wheel]).ok
    # pypiserver: 409 for any re-upload, identical or not.
    plain = publish(local_index, [wheel], check_url=False)
    assert (plain.kind, plain.status) == ("duplicate", 409)

    local_index.faults.set(pypi_duplicates=True)
    identical = post_upload(local_index, wheel)
    assert (identical.status_code, identical.content) == (200, b"")
    different = post_upload(local_index, wheel, data=dists["other_wheel"].read_bytes())
    assert different.status_code == 400
    assert different.reason.startswith("File already exists.")
    assert "File already exists" in different.text
    # uv without --check-url: an identical file is a success, different bytes a 400.
    assert publish(local_index, [wheel], check_url=False).ok
    changed = publish(local_index, [dists["other_wheel"]], check_url=False)
    assert (changed.kind, changed.status) == ("duplicate", 400)
    stats = local_index.uploads[wheel.name]
    assert (stats.stored, stats.duplicates) == (1, stats.posts - 1)
    assert local_index.files()[wheel.name] == sha256(wheel)


def test_pypi_mode_refuses_a_filename_used_before(local_index: LocalIndex,
                                                  dists: dict[str, Path]) -> None:
    local_index.faults.set(pypi_duplicates=True)
    wheel = dists["wheel"]
    assert post_upload(local_index, wheel).status_code == 200
    removed = requests.post(local_index.upload_url, auth=(local_index.username,
                                                          local_index.password),
                            data={":action": "remove_pkg", "name": "rk_tiny",
                                  "version": "0.1.0"}, timeout=10)
    assert removed.status_code == 200 and local_index.files() == {}
    reused = post_upload(local_index, wheel)
    assert reused.status_code == 400 and "already been used" in reused.reason


# -- faults as uv and releasekit see them --------------------------------------------------------


@pytest.mark.parametrize("status", [503, 500, 502, 429])
def test_upload_errors_reach_uv_unretried(local_index: LocalIndex, uv_env: dict[str, str],
                                          dists: dict[str, Path], status: int) -> None:
    local_index.faults.fail_uploads(status, first=1, retry_after=7 if status == 429 else None)
    outcome = publish(local_index, [dists["wheel"]], env={"UV_HTTP_RETRIES": "3"})
    assert (outcome.ok, outcome.kind, outcome.status) == (False, "transient", status)
    if status == 429:
        assert outcome.retry_after == 7.0, "Retry-After reaches releasekit via uv's trace log"
    posts = local_index.requests_for("POST")
    assert [(r.status, r.injected) for r in posts] == [(status, True)], "uv does not retry"
    assert local_index.files() == {}
    # The fault was for the first upload only: a re-run goes through.
    assert publish(local_index, [dists["wheel"]]).ok


@pytest.mark.parametrize(("action", "message"), [(RESET, "Connection reset by peer"),
                                                 (EOF, "connection closed before message")])
def test_dropped_connection_is_a_connection_error(local_index: LocalIndex,
                                                  uv_env: dict[str, str],
                                                  dists: dict[str, Path], action: str,
                                                  message: str) -> None:
    local_index.faults.fail_uploads(action, first=1)  # type: ignore[arg-type]
    outcome = publish(local_index, [dists["wheel"]])
    assert (outcome.ok, outcome.kind, outcome.status) == (False, "transient", None)
    assert message in outcome.message
    [record] = local_index.requests_for("POST")
    assert record.dropped and record.status is None
    assert local_index.uploads[dists["wheel"].name].stored == 0


def test_uv_retries_a_dropped_connection_itself(local_index: LocalIndex, uv_env: dict[str, str],
                                                dists: dict[str, Path]) -> None:
    local_index.faults.fail_uploads(RESET, first=1)
    outcome = publish(local_index, [dists["wheel"]], env={"UV_HTTP_RETRIES": "1"})
    assert outcome.ok
    assert [r.status for r in local_index.requests_for("POST")] == [None, 200]


def test_lost_response_after_store_then_rerun_uploads_nothing_twice(
        local_index: LocalIndex, uv_env: dict[str, str], dists: dict[str, Path]) -> None:
    wheel = dists["wheel"]
    local_index.faults.fail_uploads(RESET, filenames=[wheel.name], first=1, after_store=True)
    lost = publish(local_index, [wheel])
    assert (lost.ok, lost.kind) == (False, "transient")
    assert local_index.files() == {wheel.name: sha256(wheel)}, "stored despite the drop"
    rerun = publish(local_index, [wheel])
    assert rerun.ok and rerun.skipped == (wheel.name,)
    stats = local_index.uploads[wheel.name]
    assert (stats.posts, stats.stored, stats.duplicates) == (1, 1, 0)


def test_faults_target_filenames_and_a_seeded_probability(make_index: Callable[..., LocalIndex],
                                                          dists: dict[str, Path]) -> None:
    index = make_index()
    index.faults.fail_uploads(503, filenames=[dists["wheel"].name])
    assert post_upload(index, dists["wheel"]).status_code == 503
    assert post_upload(index, dists["sdist"]).status_code == 200
    index.faults.clear()
    index.faults.add_upload(502, times=1)  # the same rule, spelt as the pipeline tests do
    assert [post_upload(index, dists["wheel"]).status_code for _ in range(2)] == [502, 200]

    def pattern(seed: int) -> list[int]:
        other = make_index(f"p{seed}-{len(index.requests)}", seed=seed)
        other.faults.fail_gets(503, probability=0.5)
        codes = [requests.get(other.simple_url + "hatchling/", timeout=5).status_code
                 for _ in range(16)]
        other.stop()
        return codes

    assert pattern(1) == pattern(1)
    assert set(pattern(1)) == {200, 503}
    assert pattern(1) != pattern(2)


def test_get_faults_reach_index_client_and_uv(local_index: LocalIndex, uv_env: dict[str, str],
                                              dists: dict[str, Path], tmp_path: Path) -> None:
    seed_files(local_index, dists["wheel"])
    client = IndexClient(local_index.simple_url, timeout=5)
    local_index.faults.fail_gets(503, first=1)
    with pytest.raises(TransientError) as unavailable:
        client.project_files("rk-tiny")
    assert unavailable.value.status == 503
    assert list(client.project_files("rk-tiny")) == [dists["wheel"].name]

    local_index.faults.fail_gets(429, projects=["RK_Tiny"], retry_after=3, first=1)
    with pytest.raises(TransientError) as limited:
        client.project_files("rk-tiny")
    assert (limited.value.status, limited.value.retry_after) == (429, 3.0)

    local_index.faults.fail_gets(RESET, first=1)
    with pytest.raises(TransientError, match="ConnectionError"):
        client.project_files("rk-tiny")

    local_index.faults.fail_gets(503, projects=["rk-tiny"], first=1)
    venv = Uv().venv(tmp_path / "venv")
    with pytest.raises(CommandError, match="503 Service Unavailable"):
        Uv().pip_install(venv, "rk-tiny", index_url=local_index.simple_url)


def test_latency_option(local_index: LocalIndex) -> None:
    local_index.faults.set(delay_ms=150)
    started = time.perf_counter()
    requests.get(local_index.simple_url, timeout=5)
    assert time.perf_counter() - started >= 0.15


# -- index lag --------------------------------------------------------------------------------


def test_lag_hides_a_new_file_everywhere_then_shows_it(local_index: LocalIndex,
                                                       uv_env: dict[str, str],
                                                       dists: dict[str, Path]) -> None:
    wheel = dists["wheel"]
    local_index.faults.set(lag_s=0.6)
    client = IndexClient(local_index.simple_url, local_index.json_api_url, timeout=5)
    assert publish(local_index, [wheel]).ok
    assert local_index.files() == {wheel.name: sha256(wheel)}, "stored at once"
    assert client.version_files("rk-tiny", "0.1.0") == {}
    assert client.json_api_hashes("rk-tiny", "0.1.0") is None
    download = requests.get(f"{local_index.url}/packages/{wheel.name}", timeout=5)
    assert download.status_code == 404

    waited = poll(lambda: bool(client.version_files("rk-tiny", "0.1.0")))
    assert 0.3 < waited < 3.0
    assert client.json_api_hashes("rk-tiny", "0.1.0") == {wheel.name: sha256(wheel)}
    url = client.version_files("rk-tiny", "0.1.0")[wheel.name].url
    assert client.download_sha256(url) == sha256(wheel)


def test_republish_while_lagging_pypiserver_fails_pypi_succeeds(
        local_index: LocalIndex, uv_env: dict[str, str], dists: dict[str, Path]) -> None:
    """The race of notes §4: --check-url cannot see the file, the upload endpoint can."""
    wheel = dists["wheel"]
    local_index.faults.set(lag_s=60)
    assert publish(local_index, [wheel]).ok
    blind = publish(local_index, [wheel])
    assert (blind.kind, blind.status) == ("duplicate", 409)
    local_index.faults.set(pypi_duplicates=True)
    assert publish(local_index, [wheel]).ok, "PyPI answers 200 to an identical re-upload"
    stats = local_index.uploads[wheel.name]
    assert (stats.posts, stats.stored, stats.duplicates) == (3, 1, 2)
    local_index.reveal()
    assert IndexClient(local_index.simple_url).version_files("rk-tiny", "0.1.0")


def test_lag_hides_a_new_project_from_the_root_listing_too(local_index: LocalIndex,
                                                          dists: dict[str, Path]) -> None:
    local_index.faults.set(lag_s=60, pep691=True)
    assert post_upload(local_index, dists["wheel"]).status_code == 200
    assert "rk-tiny" not in requests.get(local_index.simple_url, timeout=5).text
    listing = requests.get(local_index.simple_url, headers={"Accept": JSON_ACCEPT}, timeout=5)
    assert {"name": "rk-tiny"} not in listing.json()["projects"]
    assert {"name": "hatchling"} in listing.json()["projects"]
    assert requests.head(f"{local_index.url}/packages/{dists['wheel'].name}",
                         timeout=5).status_code == 404
    local_index.reveal()
    assert "rk-tiny" in requests.get(local_index.simple_url, timeout=5).text


def test_listings_never_show_a_half_written_file(local_index: LocalIndex,
                                                 tmp_path: Path) -> None:
    """pypiserver writes uploads in place; the index must not list or serve them early."""
    blobs = []
    for i in range(8):
        blob = tmp_path / f"rk_big-0.1.{i}-py3-none-any.whl"
        blob.write_bytes(os.urandom(2_000_000))
        blobs.append(blob)
    expected = {b.name: sha256(b) for b in blobs}
    wrong: list[str] = []
    done = threading.Event()

    def watch() -> None:
        client = IndexClient(local_index.simple_url, timeout=10)
        while not done.is_set():
            for name, item in client.project_files("rk-big").items():
                if item.sha256 != expected[name]:
                    wrong.append(name)

    watchers = [threading.Thread(target=watch) for _ in range(3)]
    for watcher in watchers:
        watcher.start()
    uploaders = [threading.Thread(target=post_upload, args=(local_index, b)) for b in blobs]
    for uploader in uploaders:
        uploader.start()
    for uploader in uploaders:
        uploader.join()
    done.set()
    for watcher in watchers:
        watcher.join()
    assert local_index.files() == expected
    assert wrong == []


# -- PyPI JSON API and PEP 691 ----------------------------------------------------------------


def test_json_api_in_pypis_shape(local_index: LocalIndex, dists: dict[str, Path],
                                 tmp_path: Path) -> None:
    seed_files(local_index, dists["sdist"], dists["wheel"])
    newer = tmp_path / "rk_tiny-0.2.0rc1-py3-none-any.whl"
    shutil.copy(dists["wheel"], newer)
    seed_files(local_index, newer)

    project = requests.get(local_index.json_api_url + "rk-tiny/json", timeout=5)
    assert project.headers["Content-Type"] == "application/json"
    body = project.json()
    assert body["info"]["version"] == "0.1.0", "a pre-release is not the latest"
    assert sorted(body["releases"]) == ["0.1.0", "0.2.0rc1"]
    by_name = {u["filename"]: u for u in body["urls"]}
    assert {n: u["digests"]["sha256"] for n, u in by_name.items()} == {
        p.name: sha256(p) for p in (dists["sdist"], dists["wheel"])}
    assert by_name[dists["sdist"].name]["packagetype"] == "sdist"
    assert by_name[dists["wheel"].name]["packagetype"] == "bdist_wheel"
    assert by_name[dists["wheel"].name]["url"].startswith(local_index.url + "/packages/")

    version = requests.get(local_index.json_api_url + "RK_Tiny/0.1.0/json", timeout=5).json()
    assert "releases" not in version and len(version["urls"]) == 2
    for missing in ("rk-tiny/9.9/json", "nope/json", "nope/0.1.0/json"):
        answer = requests.get(local_index.json_api_url + missing, timeout=5)
        assert (answer.status_code, answer.json()) == (404, {"message": "Not Found"})
    client = IndexClient(local_index.simple_url, local_index.json_api_url)
    assert client.json_api_hashes("rk-tiny", "0.1.0") == {
        p.name: sha256(p) for p in (dists["sdist"], dists["wheel"])}


def test_pep691_json_and_html_parse_to_the_same_files(local_index: LocalIndex,
                                                      dists: dict[str, Path]) -> None:
    seed_files(local_index, dists["sdist"], dists["wheel"])
    client = IndexClient(local_index.simple_url)
    from_html = client.project_files("rk-tiny")

    local_index.faults.set(pep691=True)
    page = requests.get(local_index.simple_url + "rk-tiny/", headers={"Accept": JSON_ACCEPT},
                        timeout=5)
    assert page.headers["Content-Type"] == PEP691_JSON
    assert page.headers["Vary"] == "Accept"
    data = page.json()
    assert data["meta"]["api-version"].startswith("1.") and data["name"] == "rk-tiny"
    assert {f["filename"]: f["hashes"]["sha256"] for f in data["files"]} == {
        p.name: sha256(p) for p in (dists["sdist"], dists["wheel"])}
    assert data["files"][0]["requires-python"] == ">=3.9"
    html_page = requests.get(local_index.simple_url + "rk-tiny/",
                             headers={"Accept": "text/html"}, timeout=5)
    assert html_page.headers["Content-Type"].startswith("text/html")
    redirect = requests.get(local_index.simple_url + "RK_Tiny/", allow_redirects=False,
                            headers={"Accept": JSON_ACCEPT}, timeout=5)
    assert redirect.status_code == 301
    root = requests.get(local_index.simple_url, headers={"Accept": JSON_ACCEPT}, timeout=5)
    assert {"name": "rk-tiny"} in root.json()["projects"]

    from_json = client.project_files("rk-tiny")
    assert from_json == from_html
    assert [r.response_type for r in local_index.requests_for("GET", "/simple/rk-tiny/")][-1:] \
        == [PEP691_JSON]
    assert all(f.sha256 for f in from_json.values())


# -- crash-test support -----------------------------------------------------------------------


def test_hold_uploads_lets_a_test_kill_the_client_mid_upload(
        local_index: LocalIndex, uv_env: dict[str, str], dists: dict[str, Path]) -> None:
    gate = local_index.hold_uploads()
    proc = subprocess.Popen(
        [uv_binary(), "publish", "--trusted-publishing", "never", "--publish-url",
         local_index.upload_url, "--check-url", local_index.simple_url, str(dists["wheel"])],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        assert gate.wait_arrived(1, timeout=15) == [dists["wheel"].name]
        assert local_index.files() == {}
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait()
    gate.release()
    record = local_index.wait_for_request(lambda r: r.method == "POST", timeout=10)
    assert record.status == 200, "the server finishes what it fully received"
    assert local_index.files() == {dists["wheel"].name: sha256(dists["wheel"])}


# -- hermeticity ------------------------------------------------------------------------------


def test_egress_trap_catches_a_request_for_the_internet(local_index: LocalIndex,
                                                        egress_trap: EgressTrap,
                                                        uv_cache_dir: Path,
                                                        tmp_path: Path) -> None:
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("UV_")},
           **hermetic_uv_env(local_index, uv_cache_dir, egress_trap.url, tmp_path / "h")}
    before = len(egress_trap.attempts)
    started = time.perf_counter()
    proc = subprocess.run([uv_binary(), "pip", "install", "--dry-run", "--python",
                           sys.executable, "--default-index", "https://pypi.org/simple/", "six"],
                          env=env, capture_output=True, text=True, check=False)
    assert proc.returncode != 0
    assert "tunnel error" in proc.stderr, proc.stderr
    assert time.perf_counter() - started < 5, "an escape fails fast"
    assert egress_trap.attempts[before:] == ["CONNECT pypi.org:443 HTTP/1.1"]


NONET_SCRIPT = textwrap.dedent("""
    import subprocess, sys, tempfile
    from pathlib import Path
    from tests.harness.index import LocalIndex
    from tests.harness.netutil import EgressTrap
    from tests.harness.projects import make_project, uv_build
    from tests.harness.uvenv import hermetic_uv_env
    from releasekit.backends.uv import Uv
    tmp = Path(tempfile.mkdtemp())
    trap = EgressTrap()
    with LocalIndex(tmp / "pkgs", seed_dirs=[Path(sys.argv[1])]) as index:
        env = hermetic_uv_env(index, tmp / "cache", trap.url, tmp / "home")
        files = uv_build(make_project(tmp, "rk-nonet"), tmp / "dist", env)
        outcome = Uv(env=env).publish(files, publish_url=index.upload_url,
                                      check_url=index.simple_url, trusted_publishing="never")
        assert outcome.ok, outcome.message
        assert sorted(index.files()) == sorted(p.name for p in files)
    trap.stop()
    assert trap.attempts == [], trap.attempts
    print("NONET-OK")
""")


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("unshare") is None, reason="needs unshare(1)")
def test_build_and_publish_work_without_any_network(wheelhouse: Path) -> None:
    """In a fresh network namespace only loopback exists: proof that uv stays local."""
    probe = subprocess.run(["unshare", "-n", "true"], capture_output=True, check=False)
    if probe.returncode != 0:
        pytest.skip(f"unshare -n not permitted here: {probe.stderr.decode().strip()}")
    env = {k: v for k, v in os.environ.items() if not k.startswith("UV_")}
    env["PYTHONPATH"] = str(ROOT)
    proc = subprocess.run(
        ["unshare", "-n", "sh", "-c", 'ip link set lo up && exec "$@"', "sh",
         sys.executable, "-c", NONET_SCRIPT, str(wheelhouse)],
        env=env, cwd=ROOT, capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0 and "NONET-OK" in proc.stdout, proc.stdout + proc.stderr


# -- git doubles ------------------------------------------------------------------------------


def test_git_origin_accepts_pushes_and_protects_a_branch(git_repo: GitRepo,
                                                         git_origin: GitOrigin) -> None:
    assert git_origin.refs()["refs/heads/main"] == git_repo.head()
    git_repo.write("CHANGELOG.md", "# Changelog\n")
    head = git_repo.commit_all("docs: changelog")
    git_repo.git("tag", "-a", "rk-tiny-v0.1.0", "-m", "rk-tiny 0.1.0")

    git_origin.protect("refs/heads/main")
    backend = Git(git_repo.path)
    with pytest.raises(CommandError, match="pre-receive hook declined"):
        backend.push("origin", ["HEAD:refs/heads/main"])
    with pytest.raises(CommandError, match="GH006: Protected branch update failed"):
        backend.push("origin", ["HEAD:refs/heads/main"])
    backend.push("origin", ["refs/tags/rk-tiny-v0.1.0"])
    refs = git_origin.refs()
    assert refs["refs/heads/main"] != head
    assert "refs/tags/rk-tiny-v0.1.0" in refs

    git_origin.unprotect()
    backend.push("origin", ["HEAD:refs/heads/main"])
    assert git_origin.refs()["refs/heads/main"] == head


def test_workspace_repo_is_committed_pushed_and_clean(workspace_repo: GitRepo,
                                                      git_origin: GitOrigin) -> None:
    root = workspace_repo.path
    assert (root / "pyproject.toml").read_text().count("[tool.uv.workspace]") == 1
    assert sorted(p.name for p in (root / "packages").iterdir()) == [
        "api", "cli", "core", "http", "log", "store"]
    assert workspace_repo.status() == []
    assert git_origin.refs()["refs/heads/main"] == workspace_repo.head()
    author = workspace_repo.git("log", "-1", "--format=%an <%ae>").stdout.strip()
    assert author == "Release Bot <release-bot@example.invalid>"
