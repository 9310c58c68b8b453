"""schema.json is generated from the provider's resource types and must not be stale."""
import json
import pathlib

from freebsd_provider import schema

REPO = pathlib.Path(__file__).resolve().parents[2]


def test_schema_json_is_fresh():
    on_disk = (REPO / "schema.json").read_text()
    assert on_disk == schema.render(), "schema.json is stale: run `make schema sdk`"


def test_every_property_is_documented():
    s = json.loads(schema.render())
    for token, res in s["resources"].items():
        assert res["description"], token
        for group in ("inputProperties", "properties"):
            for name, spec in res[group].items():
                assert spec.get("description"), f"{token}.{name} has no description"
    for name, spec in s["config"]["variables"].items():
        assert spec.get("description"), f"config {name} has no description"


def test_secrets_marked_in_schema():
    s = json.loads(schema.render())
    assert s["config"]["variables"]["privateKey"]["secret"] is True
    assert s["provider"]["inputProperties"]["privateKeyPassphrase"]["secret"] is True
