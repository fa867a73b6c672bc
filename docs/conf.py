"""Sphinx configuration for the loopdsl docs: ``python -m sphinx docs docs/_build/html``.

Every bundled model (models/*.loop) is drawn at build time by the loopdsl
extension (loopdsl/sphinxext.py); the Markdown pages are read by myst-parser.
"""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # build from a checkout without installing

import loopdsl  # noqa: E402

project = "loopdsl"
author = "the loopdsl authors"
release = version = loopdsl.__version__
extensions = ["myst_parser", "loopdsl.sphinxext"]
source_suffix = {".md": "markdown", ".rst": "restructuredtext"}
root_doc = "index"
exclude_patterns = ["_build", "README*"]
myst_heading_anchors = 3
myst_enable_extensions = ["colon_fence"]
suppress_warnings = ["myst.xref_missing", "myst.header"]
html_theme = "alabaster"
html_title = "loopdsl"
html_static_path: list[str] = []
