"""Where the harness keeps its cache and finds the services' pins: a checkout's own files, or an
installed distribution's metadata and the user's cache folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.runtime import images

from .conftest import REPO


@pytest.fixture
def as_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    """The harness as a wheel has it: no pyproject.toml beside its packages."""
    monkeypatch.setattr(images, "CHECKOUT", None)


def test_a_checkout_is_found_beside_its_packages_and_caches_in_its_own_cache_folder() -> None:
    assert images.CHECKOUT == REPO
    assert images.cache_dir() == REPO / ".cache"


@pytest.mark.usefixtures("as_installed")
def test_an_installed_harness_caches_in_the_xdg_cache_folder(monkeypatch: pytest.MonkeyPatch,
                                                             tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert images.cache_dir() == tmp_path / "outage-harness"


@pytest.mark.usefixtures("as_installed")
def test_an_installed_harness_without_xdg_caches_under_the_home_folder(monkeypatch: pytest.MonkeyPatch,
                                                                      tmp_path: Path) -> None:
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert images.cache_dir() == tmp_path / ".cache" / "outage-harness"


def test_the_installed_metadata_gives_the_stack_pins_as_pyproject_writes_them(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from_pyproject = images.stack_requirements()
    monkeypatch.setattr(images, "CHECKOUT", None)
    # Same lines in the same order: the services image's tag does not change with the source.
    assert images.stack_requirements() == from_pyproject
    assert "uvloop==0.23.0" in from_pyproject and "docker==7.2.0" not in from_pyproject
