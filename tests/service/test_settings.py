from __future__ import annotations

from picus import contract
from service.__main__ import uvicorn_config
from service.settings import Settings


def test_every_setting_has_a_default() -> None:
    settings = Settings.from_env({})
    assert settings.table_name == contract.TABLE_NAME
    assert settings.port == contract.CONTAINER_PORT
    assert settings.endpoint_url is None


def test_settings_come_from_the_environment() -> None:
    settings = Settings.from_env(
        {
            "PICUS_TABLE_NAME": "t",
            "AWS_REGION": "eu-west-1",
            "AWS_ENDPOINT_URL_DYNAMODB": "http://localhost:1",
            "PICUS_PORT": "9000",
            "PICUS_LOG_LEVEL": "debug",
            "PICUS_DDB_DEADLINE": "1.5",
            "PICUS_MAX_BODY_BYTES": "999999999",
        }
    )
    assert (settings.table_name, settings.region, settings.endpoint_url) == (
        "t",
        "eu-west-1",
        "http://localhost:1",
    )
    assert (settings.port, settings.log_level, settings.store_deadline) == (9000, "DEBUG", 1.5)
    # The body limit can be lowered, never raised past what DynamoDB can store.
    assert settings.max_body_bytes == contract.MAX_BODY_BYTES


def test_keep_alive_outlasts_the_alb_idle_timeout() -> None:
    config = uvicorn_config(Settings.from_env({}))
    assert config.timeout_keep_alive > contract.ALB_IDLE_TIMEOUT_SECONDS
    assert config.proxy_headers
    assert (config.loop, config.http) == ("uvloop", "httptools")
