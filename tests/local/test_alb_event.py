from __future__ import annotations

import base64
from typing import Any

import pytest

from local.alb_event import MalformedResponse, build_event, parse_response


def test_single_value_event_keeps_the_path_and_query_encoded() -> None:
    event = build_event(
        method="DELETE",
        raw_path="/picus/a%2Fb",
        query_string=b"x=1%202&x=3&flag",
        headers=[("x-a", "1"), ("x-a", "2"), ("content-type", "application/json")],
        body=b'{"a": 1}',
        multi_value=False,
    )
    assert event["path"] == "/picus/a%2Fb"
    assert event["queryStringParameters"] == {"x": "3", "flag": ""}
    assert event["headers"]["x-a"] == "2"
    assert event["body"] == '{"a": 1}'
    assert event["isBase64Encoded"] is False
    assert "multiValueHeaders" not in event


def test_multi_value_event() -> None:
    event = build_event(
        method="DELETE",
        raw_path="/picus/k",
        query_string=b"x=1&x=2",
        headers=[("x-a", "1"), ("x-a", "2")],
        body=b"",
        multi_value=True,
    )
    assert event["multiValueHeaders"] == {"x-a": ["1", "2"]}
    assert event["multiValueQueryStringParameters"] == {"x": ["1", "2"]}
    assert "headers" not in event


def test_binary_bodies_are_base64() -> None:
    event = build_event(
        method="DELETE",
        raw_path="/",
        query_string=b"",
        headers=[("content-type", "application/octet-stream")],
        body=b"\x00\xff",
        multi_value=False,
    )
    assert event["isBase64Encoded"] is True
    assert base64.b64decode(event["body"]) == b"\x00\xff"


def test_a_response_becomes_http() -> None:
    response = parse_response(
        {
            "statusCode": 200,
            "statusDescription": "200 OK",
            "headers": {"Content-Type": "application/json"},
            "body": base64.b64encode(b"{}").decode(),
            "isBase64Encoded": True,
        },
        multi_value=False,
        max_bytes=100,
    )
    assert (response.status, response.headers, response.body) == (
        200,
        [("content-type", "application/json")],
        b"{}",
    )


@pytest.mark.parametrize(
    "answer",
    [
        None,
        "text",
        {},
        {"statusCode": "200"},
        {"statusCode": 99},
        {"statusCode": True},
        {"statusCode": 200, "headers": []},
        {"statusCode": 200, "headers": {"a": ["list in single-value mode"]}},
        {"statusCode": 200, "body": 5},
        {"statusCode": 200, "body": "!!", "isBase64Encoded": True},
        {"statusCode": 200, "body": "x" * 101},
    ],
)
def test_malformed_responses_are_refused(answer: Any) -> None:
    with pytest.raises(MalformedResponse):
        parse_response(answer, multi_value=False, max_bytes=100)
