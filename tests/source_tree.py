"""What the repository's source tree holds, for tests of what ships from it."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

#: The top-level Python packages pyproject.toml ships.
TOP_PACKAGES = ("checker", "agent")


def python_packages() -> set[tuple[str, ...]]:
    """Every shipped package and subpackage as name parts, e.g. ("checker", "rules"):
    each directory below a top-level package whose chain holds __init__.py files."""

    def walk(parts: tuple[str, ...]) -> set[tuple[str, ...]]:
        directory = REPO.joinpath(*parts)
        if not (directory / "__init__.py").is_file():
            return set()
        found = {parts}
        for sub in directory.iterdir():
            if sub.is_dir():
                found |= walk((*parts, sub.name))
        return found

    return set().union(*(walk((top,)) for top in TOP_PACKAGES))
