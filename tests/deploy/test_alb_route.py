"""deploy/alb_route.py: a call to the domain goes to one region's load balancer, the domain kept
as the Host header and as the TLS server name, so the certificate is verified for the domain."""

from __future__ import annotations

import httpx

from deploy.alb_route import AlbTransport

ALB = "picus-dev-use1-alb-1.us-east-1.elb.amazonaws.com"


class Recorder(httpx.BaseTransport):
    def __init__(self) -> None:
        self.seen: list[httpx.Request] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.seen.append(request)
        return httpx.Response(200, json={"status": "ok"})


def test_a_call_to_the_domain_goes_to_the_load_balancer_with_the_domain_as_host_and_sni() -> None:
    recorder = Recorder()
    with httpx.Client(transport=AlbTransport(ALB, recorder)) as client:
        assert client.get("https://api.example.com/health").status_code == 200
    (sent,) = recorder.seen
    assert sent.url == httpx.URL(f"https://{ALB}/health")
    assert sent.headers["host"] == "api.example.com"
    assert sent.extensions["sni_hostname"] == "api.example.com"


def test_a_load_balancer_named_with_a_port_is_reached_on_that_port() -> None:
    recorder = Recorder()
    with httpx.Client(transport=AlbTransport("127.0.0.1:8123", recorder)) as client:
        client.get("http://dev.example.com/v1/items?limit=1")
    (sent,) = recorder.seen
    assert sent.url == httpx.URL("http://127.0.0.1:8123/v1/items?limit=1")
    assert sent.headers["host"] == "dev.example.com"
