"""Real-parts test harness: a local index with faults, a hermetic uv environment, git doubles.

Modules: ``index`` (LocalIndex: pypiserver, started by releasekit.engine.localindex, behind
``front``, a fault-injecting proxy), ``faults`` (what to break), ``pypi`` (PyPI JSON API /
PEP 691 shapes), ``uvenv`` (hermetic uv variables), ``netutil`` (stoppable servers, the
egress trap), ``gitrepo`` (the one ``git()``; work tree, bare origin, protected refs),
``workspace`` (the one workspace writer), ``cli`` (the one ``python -m releasekit`` runner),
``tree`` (the one tree hasher), ``projects`` (tiny projects, uv build, direct uploads),
``fixtures`` (the pytest fixtures, registered in tests/conftest.py).

Typical use::

    def test_retry_on_503(local_index, uv_env, tmp_path):
        local_index.faults.fail_uploads(503, first=1, retry_after=1)
        local_index.faults.set(lag_s=0.5, pypi_duplicates=True, pep691=True)
        files = uv_build(make_project(tmp_path, "rk-a"), tmp_path / "dist", uv_env)
        ...  # run releasekit with env=uv_env, publish_url=local_index.upload_url,
             # check_url=local_index.simple_url, json api=local_index.json_api_url
        assert local_index.files() == {f.name: sha256(f) for f in files}
        assert all(s.stored == 1 and s.duplicates == 0 for s in local_index.uploads.values())
        assert [r.status for r in local_index.requests_for("POST")] == [503, 200, 200]
"""
