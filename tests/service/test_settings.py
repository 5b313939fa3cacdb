from __future__ import annotations

import json
from dataclasses import fields

import pytest
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from bench.autoscaling import measured
from bench.load import CONCURRENCY as BENCH_CONNECTIONS
from bench.result_files import CAPACITY_FILE
from docsite.pages import CONFIGURATION
from picus import contract
from picus.regions import CONSISTENCY_ENV, Consistency
from service.__main__ import uvicorn_config
from service.deadlines import HeaderDeadlineProtocol
from service.settings import (
    CONCURRENCY_HEADROOM,
    CONCURRENCY_LIMIT,
    SETTINGS,
    Setting,
    Settings,
    SettingsError,
)


def test_every_setting_has_a_default() -> None:
    settings = Settings.from_env({})
    assert settings.table_name == contract.TABLE_NAME
    assert settings.port == contract.CONTAINER_PORT
    assert settings.endpoint_url is None
    assert settings.consistency is Consistency.EVENTUAL


def test_settings_come_from_the_environment() -> None:
    settings = Settings.from_env(
        {
            "PICUS_TABLE_NAME": "t",
            "AWS_REGION": "eu-west-1",
            "AWS_ENDPOINT_URL_DYNAMODB": "http://localhost:1",
            "PICUS_PORT": "9000",
            "PICUS_LOG_LEVEL": "debug",
            "PICUS_DDB_DEADLINE": "1.5",
            "PICUS_MAX_BODY_BYTES": "1000",
        }
    )
    assert (settings.table_name, settings.region, settings.endpoint_url) == (
        "t",
        "eu-west-1",
        "http://localhost:1",
    )
    assert (settings.port, settings.log_level, settings.store_deadline) == (9000, "DEBUG", 1.5)
    assert settings.max_body_bytes == 1000
    for spelled in ("strong", "STRONG", "Strong"):
        assert Settings.from_env({CONSISTENCY_ENV: spelled}).consistency is Consistency.STRONG


def test_a_bad_value_is_refused_naming_its_variable() -> None:
    with pytest.raises(SettingsError) as refused:
        Settings.from_env(
            {
                # The body limit can be lowered, never raised past what DynamoDB can store.
                "PICUS_MAX_BODY_BYTES": "999999999",
                "PICUS_PORT": "eighty",
                "PICUS_LOG_LEVEL": "loud",
                "PICUS_DDB_DEADLINE": "0",
            }
        )
    message = str(refused.value)
    for variable in ("PICUS_MAX_BODY_BYTES", "PICUS_PORT", "PICUS_LOG_LEVEL", "PICUS_DDB_DEADLINE"):
        assert variable in message
    assert "1..409600" in message and "is not an integer" in message
    with pytest.raises(SettingsError, match=f"{CONSISTENCY_ENV}='eventually'.*eventual, strong"):
        Settings.from_env({CONSISTENCY_ENV: "eventually"})
    with pytest.raises(SettingsError, match="PICUS_AUTH_SCOPES"):
        Settings.from_env({"PICUS_AUTH_SCOPES": "read=r"})


def test_the_table_holds_every_setting_with_a_default_of_its_type() -> None:
    assert [s.name for s in SETTINGS] == [f.name for f in fields(Settings)]
    defaults = Settings()
    for setting in SETTINGS:
        assert getattr(defaults, setting.name) == setting.default
        assert setting.default is None or isinstance(setting.default, setting.kind)


def test_the_readme_table_is_the_settings_table() -> None:
    readme = CONFIGURATION.read_text()
    start = readme.index("| variable | default | meaning |")
    rows = readme[start:].split("\n\n", 1)[0].splitlines()[2:]
    assert rows == [readme_row(s) for s in SETTINGS]


def readme_row(setting: Setting) -> str:
    variables = " / ".join(f"`{v}`" for v in setting.env)
    default = setting.shown_default or f"`{setting.default}`"
    return f"| {variables} | {default} | {setting.help} |"


def test_keep_alive_outlasts_the_alb_idle_timeout() -> None:
    config = uvicorn_config(Settings.from_env({}))
    assert config.timeout_keep_alive > contract.ALB_IDLE_TIMEOUT_SECONDS
    assert config.proxy_headers
    assert config.loop == "uvloop"
    assert isinstance(config.http, type) and issubclass(config.http, HttpToolsProtocol)


def test_slow_clients_are_cut_before_the_alb_would_cut_them() -> None:
    settings = Settings.from_env({})
    config = uvicorn_config(settings)
    assert isinstance(config.http, type) and issubclass(config.http, HeaderDeadlineProtocol)
    assert config.http.header_timeout == settings.header_timeout
    for seconds in (settings.header_timeout, settings.body_timeout):
        assert 0 < seconds < contract.ALB_IDLE_TIMEOUT_SECONDS
    for variable in ("PICUS_HEADER_TIMEOUT", "PICUS_BODY_TIMEOUT"):
        with pytest.raises(SettingsError, match=variable):
            Settings.from_env({variable: str(contract.ALB_IDLE_TIMEOUT_SECONDS)})


def test_the_concurrency_limit_is_derived_from_the_committed_capacity() -> None:
    capacity = json.loads(CAPACITY_FILE.read_text())
    # The most connections any task size sustained with its p99 within the objective.
    sustained = max(
        measured(capacity, stack["cpu"], stack["memory"])["connections"]
        for stack in capacity["stacks"].values()
    )
    assert CONCURRENCY_HEADROOM * sustained == CONCURRENCY_LIMIT
    config = uvicorn_config(Settings.from_env({}))
    assert config.limit_concurrency == CONCURRENCY_LIMIT
    # uvicorn sheds a request once its connections reach the limit: the benchmark's load, which
    # measures what the service does with a request, stays below it.
    assert BENCH_CONNECTIONS < CONCURRENCY_LIMIT
