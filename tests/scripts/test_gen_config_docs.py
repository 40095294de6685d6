import importlib.util
from pathlib import Path

from m365bridge.cloud.settings import CloudSettings
from m365bridge.connector.settings import ConnectorSettings

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "gen_config_docs.py"


def load_script():
    spec = importlib.util.spec_from_file_location("gen_config_docs", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_committed_configuration_reference_is_current():
    script = load_script()
    assert script.TARGET.read_text() == script.render(), (
        "docs/configuration.md is stale: run python scripts/gen_config_docs.py and commit the result"
    )


def test_every_setting_of_both_sides_is_documented_with_its_variable():
    rendered = load_script().render()
    for settings in (CloudSettings, ConnectorSettings):
        prefix = settings.model_config["env_prefix"]
        for name, field in settings.model_fields.items():
            assert f"`{prefix}{name.upper()}`" in rendered
            assert field.description, f"{settings.__name__}.{name} needs a description"
