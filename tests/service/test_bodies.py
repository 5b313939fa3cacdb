"""The put's body as a client sends it: its encoding, its keys, its size, and what converting it
costs the other requests (``service/routes.py``'s put, ``service/codec.py``)."""

from __future__ import annotations

import asyncio
import json
from typing import TYPE_CHECKING

import httpx
import pytest

from bench.codec import END, SHAPES, START, accepted, body_of, table
from bench.result_files import CODEC_FILE
from docsite.pages import GUARANTEES
from picus.errors import ErrorCode
from service.codec import OFF_LOOP_BYTES
from tests.http import JSON, assert_error, put

if TYPE_CHECKING:
    from service.wire import Payload


@pytest.mark.parametrize("coding", ["identity", "IDENTITY", "identity,identity", ""])
def test_an_identity_coded_body_is_stored(http: httpx.Client, api_url: str, coding: str) -> None:
    response = put(http, api_url, {"coded": coding}, headers={**JSON, "content-encoding": coding})
    assert response.status_code == 201, response.text


def test_a_key_twice_is_refused_by_name_and_stores_nothing(
    http: httpx.Client, api_url: str
) -> None:
    response = put(http, api_url, b'{"ok": 1, "deep": [{"twice": 1, "twice": 2}]}')
    error = assert_error(response, ErrorCode.INVALID_JSON)["error"]
    assert '"twice" appears twice' in error["message"]


def test_a_large_body_is_converted_and_encoded_off_the_event_loop(
    http: httpx.Client, api_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Where each conversion (and the payload's request encoding with it) ran: on the thread
    # running the event loop, or beside it.
    ran_on_loop: list[tuple[int, bool]] = []
    from service import wire

    converted = wire.converted

    def recording(body: bytes, large: bool) -> Payload:
        try:
            asyncio.get_running_loop()
            on_loop = True
        except RuntimeError:
            on_loop = False
        ran_on_loop.append((len(body), on_loop))
        return converted(body, large)

    monkeypatch.setattr(wire, "converted", recording)
    small = {"n": [1.5] * 10}
    large = {"n": [1.5] * (OFF_LOOP_BYTES // 4)}
    keys = [put(http, api_url, body).json()["object_id"] for body in (small, large)]

    assert [on_loop for _, on_loop in ran_on_loop] == [True, False]
    assert ran_on_loop[1][0] > OFF_LOOP_BYTES >= ran_on_loop[0][0]
    for key, body in zip(keys, (small, large), strict=True):
        assert http.get(f"{api_url}/picus/get/{key}").json()["payload"] == body


def test_the_readme_shows_the_committed_conversion_figures() -> None:
    # A figure nobody can regenerate from a committed result is not a result.
    readme = GUARANTEES.read_text()
    section = readme.split(START, 1)[1].split(END, 1)[0]
    assert section == "\n" + table(json.loads(CODEC_FILE.read_text()))


def test_the_figures_are_of_the_largest_bodies_the_api_accepts() -> None:
    results = json.loads(CODEC_FILE.read_text())
    assert results["off_loop_bytes"] == OFF_LOOP_BYTES
    assert results["shapes"].keys() == SHAPES.keys()
    for name, shape in results["shapes"].items():
        count = shape["elements"]
        assert len(body_of(SHAPES[name], count)) == shape["body_bytes"], name
        assert accepted(body_of(SHAPES[name], count)), name
        assert not accepted(body_of(SHAPES[name], count + 1)), name
