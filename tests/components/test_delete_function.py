from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from components.delete_function import ALIAS, HANDLER
from devkit import ROOT
from local import router
from picus import routing
from picus.routing import LAMBDA_MULTI_VALUE_HEADERS, Target, rule_for
from tests.components.conftest import Stack


def function(stack: Stack) -> dict[str, Any]:
    return stack.one("aws:lambda/function:Function")


def lambda_target_group(stack: Stack) -> dict[str, Any]:
    return next(
        t
        for t in stack.all("aws:lb/targetGroup:TargetGroup")
        if t["state"]["targetType"] == "lambda"
    )


def test_the_function(stack: Stack) -> None:
    state = function(stack)["state"]
    config = stack.config
    major, minor = state["runtime"].removeprefix("python").split(".")
    assert (int(major), int(minor)) >= (3, 12)
    assert state["architectures"] == ["arm64"]
    assert state["memorySize"] == int(config["picus:lambdaMemory"])
    assert state["timeout"] == int(config["picus:lambdaTimeout"])
    assert state["publish"] is True
    assert (
        state["environment"]["variables"]["PICUS_TABLE_NAME"]
        == (stack.one("aws:dynamodb/table:Table")["state"]["name"])
    )
    log_group = stack.one("aws:cloudwatch/logGroup:LogGroup", "-delete-logs")["state"]
    assert state["loggingConfig"]["logGroup"] == log_group["name"]
    # The runtime's JSON lines: the handler's access fields land beside the runtime's own.
    assert state["loggingConfig"]["logFormat"] == "JSON"
    assert state["loggingConfig"]["applicationLogLevel"] == "INFO"
    # SnapStart snapshots published versions; the alias always points at one.
    snap = stack.setting("snapStart") == "true"
    assert state.get("snapStart") == ({"applyOn": "PublishedVersions"} if snap else None)
    tracing = stack.setting("tracing") == "true"
    assert state["tracingConfig"]["mode"] == ("Active" if tracing else "PassThrough")
    assert log_group["retentionInDays"] == int(config["picus:logRetentionDays"])


def test_the_archive_holds_only_the_function_and_its_contract(stack: Stack) -> None:
    archive = function(stack)["state"]["code"]["archive"]
    assert {name.split("/")[0] for name in archive} == {"delete_fn", "picus"}
    assert all(name.endswith(".py") for name in archive)


def test_the_handler_string_resolves_inside_the_archive(stack: Stack, tmp_path: Path) -> None:
    # given the archive unpacked alone, as the Lambda runtime would see it
    for name, asset in function(stack)["state"]["code"]["archive"].items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / asset["path"], tmp_path / name)
    module, _, attribute = function(stack)["state"]["handler"].rpartition(".")
    probe = (
        "import importlib, os, sys; sys.path.insert(0, os.getcwd());"
        f"m = importlib.import_module({module!r}); assert callable(getattr(m, {attribute!r}));"
        "assert os.path.dirname(os.path.dirname(os.path.abspath(m.__file__))) == os.getcwd()"
    )
    # when it is imported with nothing of the repository on the path
    result = subprocess.run(
        [sys.executable, "-I", "-c", probe],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env={"AWS_DEFAULT_REGION": "eu-west-1", "PATH": "/usr/bin:/bin"},
    )
    # then the handler is found and callable
    assert result.returncode == 0, result.stderr
    assert function(stack)["state"]["handler"] == HANDLER


def test_the_alb_invokes_a_published_alias(stack: Stack) -> None:
    fn = function(stack)["state"]
    alias = stack.one("aws:lambda/alias:Alias")
    assert alias["state"]["name"] == ALIAS
    assert alias["state"]["functionVersion"] == fn["version"]
    target_group = lambda_target_group(stack)
    assert target_group["state"]["lambdaMultiValueHeadersEnabled"] is LAMBDA_MULTI_VALUE_HEADERS
    permission = stack.one("aws:lambda/permission:Permission")
    assert permission["state"]["principal"] == "elasticloadbalancing.amazonaws.com"
    assert permission["state"]["action"] == "lambda:InvokeFunction"
    assert permission["state"]["sourceArn"] == target_group["state"]["arn"]
    assert permission["state"]["qualifier"] == ALIAS
    attachment = stack.one("aws:lb/targetGroupAttachment:TargetGroupAttachment")
    assert attachment["state"]["targetId"] == alias["state"]["arn"]
    assert attachment["state"]["targetGroupArn"] == target_group["state"]["arn"]
    assert permission["urn"] in attachment["dependencies"], "attachment before its permission"


def test_the_local_router_routes_by_the_same_definition() -> None:
    assert vars(router)["rule_for"] is routing.rule_for
    rule = rule_for("DELETE", "/picus/2f897e49-a179-4160-8056-d96c51aab199")
    assert rule is not None and rule.target is Target.DELETE_FN
