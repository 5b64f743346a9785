"""The smoke test's choice of modules and its failure messages (the real installs are in the
shape corpus' rehearsals and tests/test_publish.py)."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from releasekit.engine.smoke import SmokeLog, modules_to_import, settings_for, smoke_test, wheel_modules
from releasekit.errors import PublishError

NAMESPACE_WHEEL = [
    "core/plugins/evaluators/__init__.py",
    "core/plugins/evaluators/helpers.py",
    "core/plugins/evaluators/py.typed",
    "core/plugins/evaluators/__main__.py",
    "core/plugins/evaluators/tests/test_x.py",
    "core/plugins/evaluators/data/table.csv",
    "core_plugin_evaluators-0.7.0.dist-info/METADATA",
    "core_plugin_evaluators-0.7.0.data/scripts/run.py",
]


def _wheel(tmp_path: Path, names: list[str]) -> Path:
    wheel = tmp_path / "pkg-1.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        for name in names:
            archive.writestr(name, "")
    return wheel


def test_a_namespace_wheel_imports_the_package_that_carries_code(tmp_path: Path) -> None:
    wheel = _wheel(tmp_path, NAMESPACE_WHEEL)
    assert modules_to_import(wheel, settings_for({})) == ["core.plugins.evaluators"]


def test_a_deep_import_takes_every_module_but_entry_points_tests_and_skips(tmp_path: Path) -> None:
    wheel = _wheel(tmp_path, [*NAMESPACE_WHEEL, "core/plugins/evaluators/optional_gpu.py"])
    deep = settings_for({"smoke": {"import_all": True, "skip": ["*.optional_*"]}})
    assert modules_to_import(wheel, deep) == ["core.plugins.evaluators", "core.plugins.evaluators.helpers"]
    assert wheel_modules(NAMESPACE_WHEEL) == ["core.plugins.evaluators", "core.plugins.evaluators.helpers"]


def test_configured_imports_win(tmp_path: Path) -> None:
    wheel = _wheel(tmp_path, NAMESPACE_WHEEL)
    assert modules_to_import(wheel, settings_for({"smoke": {"imports": ["core.plugins"]}})) == ["core.plugins"]


def test_nothing_to_import_fails_with_a_hint_to_configure_it(tmp_path: Path) -> None:
    wheel = _wheel(tmp_path, ["data/only.csv", "pkg-1.0.dist-info/METADATA"])
    with pytest.raises(PublishError) as raised:
        smoke_test(
            {"name": "pkg", "declared_name": "pkg", "version": "1.0"}, wheel,
            index_url="http://127.0.0.1:9/simple/", fallback_url="", scratch=tmp_path / "scratch",
            log=SmokeLog(tmp_path / "log", "smoke:pkg"), step=lambda *a, **k: None,
        )
    assert raised.value.code == "RK613"
    assert "nothing to import" in raised.value.message and "smoke] imports" in raised.value.hint
