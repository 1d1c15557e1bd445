"""The lock files pin every dependency pyproject.toml declares, within its declared range."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).parents[2]


def pins(lock: str) -> dict[str, str]:
    """name → exact version of a lock file."""
    found = {}
    for line in (ROOT / "requirements" / lock).read_text("utf-8").splitlines():
        if "==" in line and not line.startswith((" ", "#")):
            name, _, version = line.partition("==")
            found[canonicalize_name(name)] = version.strip()
    return found


def declared(extra: str | None) -> list[Requirement]:
    """The requirements of pyproject.toml (with one extra's)."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]
    names = list(project["dependencies"])
    if extra:
        names += project["optional-dependencies"][extra]
    return [Requirement(n) for n in names]


@pytest.mark.parametrize(("lock", "extra"), [("lock.txt", None), ("dev-lock.txt", "dev")])
def test_every_declared_dependency_is_pinned_within_its_range(
    lock: str, extra: str | None
) -> None:
    pinned = pins(lock)
    for requirement in declared(extra):
        version = pinned.get(canonicalize_name(requirement.name))
        assert version is not None, f"{requirement.name} is not in {lock}: run `make lock`"
        assert requirement.specifier.contains(version, prereleases=True), (
            f"{lock} pins {requirement.name}=={version}, outside {requirement.specifier}"
        )


def test_every_dependency_has_an_upper_bound() -> None:
    for requirement in declared("dev"):
        if requirement.name == "tzdata":  # time zone data: a new release only adds zones
            continue
        assert any(s.operator in ("<", "<=", "==", "~=") for s in requirement.specifier), (
            f"{requirement.name} has no upper bound"
        )
