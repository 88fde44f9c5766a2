"""Reads the paper abstracts out of a seed listing in shared/seed/.

A seed file starts with 5 header lines ("new", "Get trending papers in your email inbox!",
"Subscribe", "byAK and the research community", a date), each followed by a blank line, then
for each paper a title line, a blank line, the abstract line and a blank line.
"""

import os

HEADER_LINES = 5
DEFAULT_SEED = os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared", "seed", "000_446ad54c0b8c9ae7.txt"
)
# The checkout's shared/ sits beside main/ on the dev machines (/work/shared), and inside it on CI.
_CANDIDATES = [
    DEFAULT_SEED,
    os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "shared", "seed", "000_446ad54c0b8c9ae7.txt"),
    "/work/shared/seed/000_446ad54c0b8c9ae7.txt",
]


def default_seed_path():
    for path in _CANDIDATES:
        if os.path.exists(path):
            return os.path.normpath(path)
    raise FileNotFoundError("seed file 000_446ad54c0b8c9ae7.txt not found; pass its path explicitly")


def collapse(text):
    """Whitespace-collapsed: runs of whitespace become one space, no leading or trailing space."""
    return " ".join(text.split())


def read_papers(path):
    """[(title, abstract)] in file order, both whitespace-collapsed."""
    with open(path, encoding="utf-8") as f:
        lines = [line for line in f.read().split("\n") if line.strip()]
    body = lines[HEADER_LINES:]
    if len(body) % 2:
        raise ValueError(f"{path}: {len(body)} non-blank lines after the header, expected title/abstract pairs")
    return [(collapse(body[i]), collapse(body[i + 1])) for i in range(0, len(body), 2)]


def read_abstracts(path=None):
    return [abstract for _, abstract in read_papers(path or default_seed_path())]
