"""The JSON Schema of the model (``loopdsl schema``): every bundled model's JSON follows it."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

import loopdsl
from loopdsl.cli import main
from loopdsl.commands.schema import schema_text
from loopdsl.model import Model

MODELS = sorted((Path(__file__).resolve().parents[1] / "models").glob("*.loop"))
EVERY_CONSTRUCT = """\
model m "Модель 模型" description "all of it"
time 0 to 36 step 0.5 unit month
method rk4
group big "Big wheel"
node experience "Customer experience" initial 10 in big unit score push PULSE(100, 0) decay 0.1
stock customers "Customers" initial 100 non_negative capacity 1e6
stock pool initial 1000
flow signups = traffic * conversion from pool to customers non_negative
aux conversion = 0.02 * effect(price) + (IF TIME > 5 AND NOT price >= 3 THEN 0.01 ELSE -1)
aux effect2 = price points [(0, 1), (10, 0.5)] extrapolate
lookup effect points [(0, 1), (10, 0.5)]
const price = 10  # a trailing comment
experience -> traffic -[- gain 0.8 delay 2 "cheaper"]-> price
loop B1 "Price" balancing: traffic -> price -> conversion -> signups -> customers -> traffic
customers -> traffic
scenario push6 "Six-month push": conversion = 0.03
vary price ~ normal(10, 2)
"""


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft202012Validator:
    schema = json.loads(schema_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def test_bundled_models_exist() -> None:
    assert len(MODELS) >= 6, "models/ should hold every model of the domain"


@pytest.mark.parametrize("path", MODELS, ids=[p.stem for p in MODELS])
def test_bundled_model_json_follows_the_schema(path: Path, validator) -> None:
    data = json.loads(loopdsl.load(path).model_dump_json())
    assert list(validator.iter_errors(data)) == []


def test_every_construct_follows_the_schema(validator) -> None:
    data = json.loads(loopdsl.loads(EVERY_CONSTRUCT).model_dump_json())
    assert {n["kind"] for n in data["nodes"]} == {"node", "stock", "flow", "aux", "const",
                                                  "lookup"}
    assert list(validator.iter_errors(data)) == []


@pytest.mark.parametrize("damage", ["bad_kind", "extra_field", "bad_polarity", "bad_expr"])
def test_schema_rejects_broken_json(damage: str, validator) -> None:
    data = json.loads(loopdsl.loads(EVERY_CONSTRUCT).model_dump_json())
    if damage == "bad_kind":
        data["nodes"][0]["kind"] = "gear"
    elif damage == "extra_field":
        data["links"][0]["weight"] = 3
    elif damage == "bad_polarity":
        data["links"][0]["polarity"] = "++"
    else:
        data["nodes"][3]["equation"] = {"type": "binary", "op": "**", "left": None}
    assert list(validator.iter_errors(data)) != []


def test_schema_command(tmp_path, capsys) -> None:
    assert main(["schema"]) == 0
    out, err = capsys.readouterr()
    assert err == "" and out == schema_text()
    assert json.loads(out)["title"] == "Model"
    target = tmp_path / "model.schema.json"
    assert main(["schema", "-o", str(target)]) == 0
    assert json.loads(target.read_text(encoding="utf-8")) == json.loads(out)
    assert json.loads(out)["$defs"] == Model.json_schema()["$defs"]
