"""The committed models are what scripts/generate-sdk-models writes from today's /openapi.json,
so CI fails when the API changes and nobody regenerated them."""

from __future__ import annotations

import copy
import inspect
import subprocess
import sys
from importlib.machinery import SourceFileLoader
from importlib.util import module_from_spec, spec_from_loader
from pathlib import Path
from types import ModuleType

import pydantic

from tariffconnect_client import models

ROOT = Path(__file__).resolve().parents[2]
GENERATOR = ROOT / "scripts/generate-sdk-models"


def generator() -> ModuleType:
    """The script as a module (its file name has no .py)."""
    loader = SourceFileLoader("generate_sdk_models", str(GENERATOR))
    spec = spec_from_loader(loader.name, loader)
    assert spec is not None
    module = module_from_spec(spec)
    loader.exec_module(module)
    return module


def test_the_committed_models_are_what_the_generator_writes_now(app, tmp_path):
    generated = generator().render(app.openapi())
    assert generated == (ROOT / "clients/python/src/tariffconnect_client/models.py").read_text()
    result = subprocess.run(
        [sys.executable, str(GENERATOR), "--check"],
        capture_output=True,
        text=True,
        env={"TARIFFCONNECT_DATA_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"},
        timeout=120,
    )
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")


def test_a_changed_api_changes_the_output(app):
    document = copy.deepcopy(app.openapi())
    location = document["components"]["schemas"]["LocationOut"]
    location["properties"]["solar_panels"] = {"type": "integer"}
    location["required"].append("solar_panels")
    text = generator().render(document)
    assert text != generator().render(app.openapi())
    assert "    solar_panels: int\n" in text


def test_every_schema_of_the_api_has_a_model(app):
    schemas = app.openapi()["components"]["schemas"]
    names = generator().class_names(schemas)
    for wire_name, python in names.items():
        member = getattr(models, python)
        if "properties" in schemas[wire_name]:
            assert inspect.isclass(member) and issubclass(member, models.ApiModel), python
            assert set(member.model_fields) == {
                name + "_" if name == "import" else name
                for name in schemas[wire_name]["properties"]
            }
    assert (names["LocationOut"], names["ListObject_LocationOut_"]) == ("Location", "LocationList")
    assert names["DaysAndHours-Input"] == "DaysAndHoursInput"


def test_models_keep_unknown_fields_and_take_wire_names():
    location = models.GeoLocation.model_validate({"lat": 51.5, "lng": -0.1, "altitude": 11})
    assert location.model_extra == {"altitude": 11}
    sources = models.MarketSources.model_validate({"import": "mrs_1", "export": None})
    assert (sources.import_, sources.export) == ("mrs_1", None)
    assert sources.model_dump(by_alias=True) == {"import": "mrs_1", "export": None}
    try:
        models.Location.model_validate({"id": "loc_1"})
    except pydantic.ValidationError as error:
        assert {e["loc"][0] for e in error.errors()} >= {"live_mode", "postal_address"}
    else:
        raise AssertionError("a Location without its required fields validated")
