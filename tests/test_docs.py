"""The README and the pages in docs/: every link leads somewhere, every picture is there (and
used), and the Quick start's test command is the one CI runs."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
#: ``[text](target)`` and ``![alt](target)``; a target has no spaces.
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)\)")
FENCE = re.compile(r"^```.*?^```", re.MULTILINE | re.DOTALL)

pytestmark = pytest.mark.timeout(30)


def _text(page: Path) -> str:
    """The page without its code blocks (a ``[x](y)`` in code is no link)."""
    return FENCE.sub("", page.read_text(encoding="utf-8"))


def _anchors(page: Path) -> set[str]:
    """The anchors GitHub makes of a page's headings: lower case, punctuation dropped, spaces to hyphens."""
    anchors = set()
    for heading in re.findall(r"^#+ (.+)$", _text(page), re.MULTILINE):
        anchors.add(re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-"))
    return anchors


def _links(page: Path) -> list[str]:
    return [target for target in LINK.findall(_text(page)) if not re.match(r"[a-z]+:", target)]


@pytest.mark.parametrize("page", PAGES, ids=lambda page: str(page.relative_to(ROOT)))
def test_every_link_leads_to_a_file_and_heading_that_exist(page):
    broken = []
    for target in _links(page):
        path, _, anchor = target.partition("#")
        file = (page.parent / path).resolve() if path else page
        if not file.exists():
            broken.append(f"{target}: no such file")
        elif anchor and file.suffix == ".md" and anchor not in _anchors(file):
            broken.append(f"{target}: no heading #{anchor} in {file.relative_to(ROOT)}")
    assert not broken, broken


def test_every_page_of_docs_is_reachable_and_every_picture_is_shown():
    linked = {(page.parent / target.partition("#")[0]).resolve() for page in PAGES for target in _links(page)}
    pages = {page.resolve() for page in PAGES if page.parent.name == "docs"}
    assert not pages - linked, sorted(str(page.relative_to(ROOT)) for page in pages - linked)
    pictures = {picture.resolve() for picture in (ROOT / "docs" / "images").glob("*.png")}
    assert pictures and not pictures - linked, sorted(picture.name for picture in pictures - linked)


def test_the_quick_start_test_command_is_what_ci_runs():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    quick_start = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    commands = re.findall(r"^```sh\n(.+?)\n```", quick_start, re.MULTILINE)
    assert len(commands) == 2, commands  # one installs and launches, one installs and tests
    assert commands[1] in (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert commands[0].endswith(".venv/bin/joinscope")
