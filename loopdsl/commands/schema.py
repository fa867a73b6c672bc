"""``loopdsl schema [-o OUT]``: the JSON Schema of a model's JSON (``Model.json_schema()``).

Tools that read the JSON of a model (``Model.model_dump_json()``) can validate it
against this schema; it is generated from the pydantic classes, so it cannot drift.

>>> import json
>>> schema = json.loads(schema_text())
>>> schema["title"], "nodes" in schema["properties"]
('Model', True)
"""

from __future__ import annotations

import argparse
import json
import sys

from loopdsl.files import atomic_write
from loopdsl.model import Model


def schema_text() -> str:
    """The model's JSON Schema (draft 2020-12) as indented JSON text."""
    schema = {"$schema": "https://json-schema.org/draft/2020-12/schema", **Model.json_schema()}
    return json.dumps(schema, ensure_ascii=False, indent=2) + "\n"


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("schema", help="print the JSON Schema of a model's JSON",
                       description="Print the JSON Schema (draft 2020-12) that the JSON of "
                       "every model (Model.model_dump_json, the json exports) follows.")
    p.add_argument("-o", "--output", metavar="OUT", help="write to OUT instead of stdout")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    text = schema_text()
    if args.output:
        atomic_write(args.output, text)
    else:
        sys.stdout.write(text)
    return 0
