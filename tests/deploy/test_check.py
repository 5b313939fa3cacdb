"""The post-deploy checks: against ECS's and Lambda's own response shapes (botocore's Stubber
validates every request and response against the service models), and the walkthrough over
real HTTP against the local origin."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import datetime
import http.server
import ipaddress
import json
import socket
import ssl
import threading
import urllib.parse
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import boto3
import pytest
from botocore.stub import Stubber

from components import outputs
from components.delete_function import ALIAS
from components.function_release import GROUP
from deploy import check
from deploy.check import CheckFailed, Deployed
from deploy.release import Release, appspec

if TYPE_CHECKING:
    from service.settings import Settings

REVISION = "arn:aws:ecs:eu-west-1:123456789012:task-definition/picus-dev-api-service:7"
PREVIOUS = "arn:aws:ecs:eu-west-1:123456789012:task-definition/picus-dev-api-service:6"
FUNCTION = "arn:aws:lambda:eu-west-1:123456789012:function:picus-dev-delete-fn-1a2b3c4"


def stack_outputs(api_url: str = "http://127.0.0.1:9") -> dict[str, Any]:
    """What `pulumi stack output --json` prints for a stack serving ``api_url`` (the program
    serves https exactly when it has a certificate)."""
    return {
        outputs.API_URL: api_url,
        outputs.CLUSTER_NAME: "picus-dev-api-cluster",
        outputs.SERVICE_NAME: "picus-dev-api-service-1a2b3c4",
        outputs.TASK_DEFINITION_ARN: REVISION,
        outputs.FUNCTION_ARN: FUNCTION,
        outputs.FUNCTION_VERSION: "12",
        outputs.HTTPS: api_url.startswith("https:"),
    }


def deployed(api_url: str = "http://127.0.0.1:9") -> Deployed:
    return Deployed.from_outputs(stack_outputs(api_url))


def deployment(task: str, status: str, rollout: str, running: int = 2) -> dict[str, Any]:
    return {
        "id": f"ecs-svc/{abs(hash((task, status))) % 10**18}",
        "status": status,
        "taskDefinition": task,
        "desiredCount": 2,
        "runningCount": running,
        "rolloutState": rollout,
        "rolloutStateReason": "ECS deployment circuit breaker: tasks failed to start.",
    }


@pytest.fixture
def ecs() -> Iterator[tuple[Any, Stubber]]:
    client = boto3.client("ecs", region_name="eu-west-1")
    with Stubber(client) as stubber:
        yield client, stubber
        stubber.assert_no_pending_responses()


def listed(stubber: Stubber, *deployments: dict[str, Any]) -> None:
    """ListServiceDeployments' answer: these service deployments (none: a service without)."""
    target = deployed()
    briefs = [
        {
            "serviceDeploymentArn": d["serviceDeploymentArn"],
            "status": d["status"],
            "createdAt": d["createdAt"],
        }
        for d in deployments
    ]
    stubber.add_response(
        "list_service_deployments",
        {"serviceDeployments": briefs},
        {"cluster": target.cluster, "service": target.service},
    )


def answer(stubber: Stubber, *deployments: dict[str, Any]) -> None:
    target = deployed()
    stubber.add_response(
        "describe_services",
        {"services": [{"serviceName": target.service, "deployments": list(deployments)}]},
        {"cluster": target.cluster, "services": [target.service]},
    )


def test_a_completed_rollout_on_the_new_revision_passes(ecs: tuple[Any, Stubber]) -> None:
    client, stubber = ecs
    listed(stubber)
    answer(stubber, deployment(REVISION, "PRIMARY", "COMPLETED"))
    assert "picus-dev-api-service:7" in check.check_rollout(client, deployed())


def test_a_rollback_is_a_failure_even_though_the_service_is_steady(
    ecs: tuple[Any, Stubber],
) -> None:
    # What the provider reports as success: the circuit breaker put the old revision back.
    client, stubber = ecs
    listed(stubber)
    answer(stubber, deployment(PREVIOUS, "PRIMARY", "COMPLETED"))
    with pytest.raises(CheckFailed, match="rolled the deployment back"):
        check.check_rollout(client, deployed())


def test_a_failed_rollout_is_a_failure(ecs: tuple[Any, Stubber]) -> None:
    client, stubber = ecs
    listed(stubber)
    answer(
        stubber,
        deployment(REVISION, "PRIMARY", "FAILED", running=0),
        deployment(PREVIOUS, "ACTIVE", "COMPLETED"),
    )
    with pytest.raises(CheckFailed, match="circuit breaker"):
        check.check_rollout(client, deployed())


def test_a_rollout_in_progress_is_watched_until_it_completes(ecs: tuple[Any, Stubber]) -> None:
    client, stubber = ecs
    listed(stubber)
    answer(
        stubber,
        deployment(REVISION, "PRIMARY", "IN_PROGRESS", running=1),
        deployment(PREVIOUS, "ACTIVE", "COMPLETED"),
    )
    answer(stubber, deployment(REVISION, "PRIMARY", "COMPLETED"))
    waits: list[float] = []
    check.check_rollout(client, deployed(), sleep=waits.append)
    assert waits == [10]


def test_a_rollout_that_never_settles_fails_after_its_patience(ecs: tuple[Any, Stubber]) -> None:
    client, stubber = ecs
    listed(stubber)
    answer(stubber, deployment(REVISION, "PRIMARY", "IN_PROGRESS", running=1))
    with pytest.raises(CheckFailed, match="did not settle"):
        check.check_rollout(client, deployed(), patience_s=0)


def alias_client(version: str) -> tuple[Any, Stubber]:
    client = boto3.client("lambda", region_name="eu-west-1")
    stubber = Stubber(client)
    stubber.add_response(
        "get_alias",
        {"AliasArn": f"{FUNCTION}:{ALIAS}", "Name": ALIAS, "FunctionVersion": version},
        {"FunctionName": FUNCTION, "Name": ALIAS},
    )
    stubber.activate()
    return client, stubber


def test_the_alias_must_point_at_the_version_just_published() -> None:
    client, _ = alias_client("12")
    assert "version 12" in check.check_alias(client, deployed())
    client, _ = alias_client("11")
    with pytest.raises(CheckFailed, match="100% to version 11, not all to the 12"):
        check.check_alias(client, deployed())


@pytest.mark.ddb
def test_the_walkthrough_passes_on_the_local_origin(api_url: str) -> None:
    # The local origin routes exactly as the ALB does: the service and the DELETE function.
    report = check.check_walkthrough(api_url, patience_s=0, plain_http=True)
    assert "put, get, replace, list, delete" in report


@pytest.mark.ddb
def test_the_walkthrough_fails_where_delete_is_not_routed_to_the_function(
    service_url: str,
) -> None:
    # The service alone does not serve DELETE (it serves GET and PUT on the item's URL): a
    # listener without the function's rule looks like this.
    with pytest.raises(CheckFailed, match="delete: expected 200, got 405 method_not_allowed"):
        check.check_walkthrough(service_url, patience_s=0, plain_http=True)


def test_the_walkthrough_fails_fast_when_nothing_answers() -> None:
    with pytest.raises(CheckFailed, match="never answered"):
        check.check_walkthrough("http://127.0.0.1:9", patience_s=0, plain_http=True)


def test_the_command_reports_every_check_and_fails_on_any(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    ecs_client = boto3.client("ecs", region_name="eu-west-1")
    with Stubber(ecs_client) as ecs_stub:
        listed(ecs_stub)
        answer(ecs_stub, deployment(PREVIOUS, "PRIMARY", "COMPLETED"))
        lambda_client, _ = alias_client("12")
        codedeploy = boto3.client("codedeploy", region_name="eu-west-1")
        clients = {"ecs": ecs_client, "lambda": lambda_client, "codedeploy": codedeploy}
        monkeypatch.setattr(boto3, "client", lambda name, **_: clients[name])
        monkeypatch.setattr(check, "HTTP_PATIENCE_S", 0)
        written = tmp_path / "outputs.json"
        written.write_text(
            json.dumps(
                {**stack_outputs("http://127.0.0.1:9"), outputs.TABLE_NAME: "picus_data-dev"}
            )
        )
        assert check.main([str(written)]) == 1
    printed = capsys.readouterr().out.splitlines()
    assert printed[0].startswith("ok    release:")
    assert printed[1].startswith("ok    Lambda")
    assert [line.split()[0] for line in printed] == ["ok", "ok", "FAIL", "FAIL"]


class TokenEndpoint:
    """An OAuth token endpoint that grants the client-credentials flow to one client."""

    def __init__(self, issuer: Any, client_id: str, secret: str) -> None:
        self.issuer, self.client_id, self.secret = issuer, client_id, secret

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        from starlette.requests import Request
        from starlette.responses import JSONResponse

        if scope["type"] != "http":
            return
        request = Request(scope, receive)
        form = {k: v[0] for k, v in urllib.parse.parse_qs((await request.body()).decode()).items()}
        expected = base64.b64encode(f"{self.client_id}:{self.secret}".encode()).decode()
        if request.headers.get("authorization") != f"Basic {expected}" or (
            form.get("grant_type") != "client_credentials"
        ):
            response = JSONResponse({"error": "invalid_client"}, status_code=401)
        else:
            scopes = str(form.get("scope", "")).split()
            token = self.issuer.mint(scopes, subject="deploy-check")
            response = JSONResponse({"access_token": token, "token_type": "Bearer"})
        await response(scope, receive, send)


def test_with_auth_on_the_walkthrough_takes_a_client_credentials_token(
    settings: Settings, tls: Tls
) -> None:
    from devkit.asgi import serving
    from local.auth import LocalIssuer
    from tests.auth_origin import auth_origin

    issuer = LocalIssuer("https://issuer.test")
    issuer.rotate(path=None)
    with (
        auth_origin(settings, issuer) as origin,
        tls_front(origin, tls) as api,
        serving(TokenEndpoint(issuer, "checker", "s3cret")) as token_endpoint,
        tls_front(token_endpoint, tls) as idp,
    ):
        stack = replace(deployed(api), auth_issuer=issuer.issuer)
        env = {
            "PICUS_CHECK_TOKEN_URL": f"{idp}/token",
            "PICUS_CHECK_CLIENT_ID": "checker",
            "PICUS_CHECK_CLIENT_SECRET": "s3cret",
        }
        token = check.stack_token(stack, env)
        assert token is not None
        report = check.check_walkthrough(api, patience_s=0, token=token)
        assert "with a token (401 without)" in report
        # The same stack without the client's settings fails the check, naming them.
        with pytest.raises(check.CheckFailed, match="PICUS_CHECK_CLIENT_SECRET"):
            check.stack_token(stack, {k: v for k, v in env.items() if "SECRET" not in k})
        with pytest.raises(check.CheckFailed, match="no token from"):
            check.stack_token(stack, {**env, "PICUS_CHECK_CLIENT_SECRET": "wrong"})
        # A token without the delete scope: the walkthrough's DELETE is refused.
        reader = issuer.mint(["picus:read", "picus:write"])
        with pytest.raises(check.CheckFailed, match="delete"):
            check.check_walkthrough(api, patience_s=0, token=reader)


def test_a_public_stack_needs_no_token() -> None:
    assert check.stack_token(deployed("http://x"), {}) is None


# --- The check's edges, against real local servers ------------------------------------------


@dataclass(frozen=True)
class Tls:
    """A CA of the test's own, trusted by the check through SSL_CERT_FILE (as a corporate CA
    would be), and a server context with a certificate it signed for 127.0.0.1."""

    ca_file: Path
    server: ssl.SSLContext


@pytest.fixture(scope="session")
def tls_material(tmp_path_factory: pytest.TempPathFactory) -> Tls:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    folder = tmp_path_factory.mktemp("tls")
    now = datetime.datetime.now(datetime.UTC)

    def certificate(
        subject: str, key: ec.EllipticCurvePrivateKey, issuer: x509.Name | None = None
    ) -> x509.CertificateBuilder:
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)])
        return (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(issuer or name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
        )

    ca_key, leaf_key = (
        ec.generate_private_key(ec.SECP256R1()),
        ec.generate_private_key(ec.SECP256R1()),
    )
    ca = (
        certificate("deploy check test CA", ca_key)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), False)
        .sign(ca_key, hashes.SHA256())
    )
    leaf = (
        certificate("127.0.0.1", leaf_key, ca.subject)
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False
        )
        .sign(ca_key, hashes.SHA256())
    )
    (folder / "ca.pem").write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    (folder / "leaf.pem").write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
    (folder / "leaf.key").write_bytes(
        leaf_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.load_cert_chain(folder / "leaf.pem", folder / "leaf.key")
    return Tls(folder / "ca.pem", server)


@pytest.fixture
def tls(tls_material: Tls, monkeypatch: pytest.MonkeyPatch) -> Tls:
    monkeypatch.setenv("SSL_CERT_FILE", str(tls_material.ca_file))
    return tls_material


@contextlib.contextmanager
def tls_front(upstream: str, tls: Tls) -> Iterator[str]:
    """An https URL in front of an http one, as the load balancer terminates TLS. asyncio's
    TLS transport, in a loop of its own: an SSL socket may not be read and written from two
    threads at once."""
    target = urllib.parse.urlsplit(upstream)
    loop = asyncio.new_event_loop()

    connections: set[asyncio.Task[None]] = set()

    async def pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        except OSError:
            pass
        finally:
            writer.close()
            with contextlib.suppress(OSError, TimeoutError):
                await asyncio.wait_for(writer.wait_closed(), 1)

    async def connect(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        # Tracked so that closing the front ends every connection a keep-alive client left
        # open: otherwise the loop closes with their tasks pending and transports unclosed.
        task = asyncio.current_task()
        assert task is not None
        connections.add(task)
        try:
            back_reader, back_writer = await asyncio.open_connection(target.hostname, target.port)
        except OSError:
            writer.close()
            connections.discard(task)
            return
        try:
            await asyncio.gather(pipe(reader, back_writer), pipe(back_reader, writer))
        finally:
            connections.discard(task)

    server = loop.run_until_complete(asyncio.start_server(connect, "127.0.0.1", 0, ssl=tls.server))
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    try:
        yield f"https://127.0.0.1:{server.sockets[0].getsockname()[1]}"
    finally:

        async def stop() -> None:
            server.close()
            for task in connections:
                task.cancel()
            await asyncio.gather(*connections, return_exceptions=True)
            await server.wait_closed()

        asyncio.run_coroutine_threadsafe(stop(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()


#: What the fake load balancer does with one call: answer (status, JSON body[, headers]), or
#: drop the connection without a word (None).
Outcome = tuple[int, Any] | tuple[int, Any, dict[str, str]] | None
Behaviour = Callable[[str, str, dict[str, Any] | None], Outcome]


@dataclass
class FakeApi:
    """A stack's load balancer over real HTTP: /health answers 200, every other call is
    recorded and answered as the test's behaviour says."""

    behaviour: Behaviour
    calls: list[tuple[str, str, dict[str, Any] | None]] = field(default_factory=list)
    #: Every request's method, path and headers, /health's included.
    headers: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)
    hang: threading.Event = field(default_factory=threading.Event)

    @contextlib.contextmanager
    def serving(self) -> Iterator[str]:
        api = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def answer(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                raw = self.rfile.read(length) if length else b""
                api.headers.append(
                    (self.command, self.path, {k.lower(): v for k, v in self.headers.items()})
                )
                if self.path == "/health":
                    outcome: Outcome = (200, {"status": "ok"})
                else:
                    body = json.loads(raw) if raw.startswith(b"{") else None
                    api.calls.append((self.command, self.path, body))
                    outcome = api.behaviour(self.command, self.path, body)
                if outcome is None:
                    self.close_connection = True
                    with contextlib.suppress(OSError):
                        self.connection.shutdown(socket.SHUT_RDWR)
                    return
                status, reply, *extra = outcome
                data = json.dumps(reply).encode()
                self.send_response(status)
                if 300 <= status < 400:
                    self.send_header("location", reply["location"])
                for name, value in (extra[0] if extra else {}).items():
                    self.send_header(name, value)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_DELETE = answer

        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, daemon=True).start()
        try:
            yield f"http://127.0.0.1:{server.server_address[1]}"
        finally:
            server.shutdown()
            server.server_close()


KEY = "2f897e49-a179-4160-8056-d96c51aab199"
CREATED_AT = "2025-01-02T03:04:05.678Z"


def api_until(failing: str, outcome: tuple[int, Any] | None) -> Behaviour:
    """The API, working until the call whose method and path start with ``failing``."""
    stored: dict[str, Any] = {}
    revisions = ['"0"']

    def behave(method: str, path: str, body: dict[str, Any] | None) -> Outcome:
        if f"{method} {path}".startswith(failing):
            return outcome
        if method == "POST":
            stored[KEY] = body
            return 201, {"object_id": KEY}
        if method in ("GET", "PUT") and path == f"/picus/{KEY}":
            if KEY not in stored:
                return 404, {"error": {"code": "not_found", "message": "", "request_id": ""}}
            if method == "PUT":
                stored[KEY] = body
                revisions.append(f'"{len(revisions)}"')
            item = {"object_id": KEY, "created_at": CREATED_AT, "payload": stored[KEY]}
            return 200, item, {"etag": revisions[-1]}
        if path.startswith("/picus/list"):
            return 200, {"items": [], "next_cursor": None}
        if method == "DELETE":
            if stored.pop(KEY, None):
                return 200, {"deleted": KEY}
            return 404, {"error": {"code": "not_found", "message": "", "request_id": ""}}
        return 404, {"error": {"code": "no_such_route", "message": "", "request_id": ""}}

    return behave


def test_a_connection_dropped_after_health_is_a_fail_line_not_a_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # given: a stack whose ECS and Lambda are fine, and whose API drops every call after /health
    fake = FakeApi(api_until("", None))
    monkeypatch.setenv("GITHUB_RUN_ID", "4242")
    monkeypatch.setenv("GITHUB_REPOSITORY", "example-org/picus")
    ecs_client = boto3.client("ecs", region_name="eu-west-1")
    with fake.serving() as url, Stubber(ecs_client) as ecs_stub:
        listed(ecs_stub)
        answer(ecs_stub, deployment(REVISION, "PRIMARY", "COMPLETED"))
        lambda_client, _ = alias_client("12")
        codedeploy = boto3.client("codedeploy", region_name="eu-west-1")
        clients = {"ecs": ecs_client, "lambda": lambda_client, "codedeploy": codedeploy}
        monkeypatch.setattr(boto3, "client", lambda name, **_: clients[name])
        written = tmp_path / "outputs.json"
        written.write_text(json.dumps(stack_outputs(url)))
        # when
        code = check.main([str(written)])
    # then: one FAIL line naming the call, and where to find what it may have written
    assert code == 1
    printed = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in printed] == ["ok", "ok", "ok", "FAIL"]
    assert printed[-1].startswith(f"FAIL  put: POST {url}/picus/put")
    assert "https://github.com/example-org/picus/actions/runs/4242/attempts/1" in printed[-1]
    # The put, and only the put, sent again as often as the check allows: safe, since every
    # attempt carries the same Idempotency-Key (the API answers a retry with the first item).
    attempts = check.CALL_RETRIES.attempts
    assert [method for method, _, _ in fake.calls] == ["POST"] * attempts
    keys = {h.get("idempotency-key") for method, _, h in fake.headers if method == "POST"}
    assert len(keys) == 1 and None not in keys


def test_a_timeout_after_health_is_a_check_failure(monkeypatch: pytest.MonkeyPatch) -> None:
    release = threading.Event()

    def hang(method: str, path: str, body: Any) -> tuple[int, Any]:
        release.wait(10)
        return 503, {}

    monkeypatch.setattr(check, "CALL_TIMEOUT_S", 1.0)
    with FakeApi(hang).serving() as url:
        try:
            with pytest.raises(CheckFailed, match=r"put: POST .* timed out"):
                check.check_walkthrough(url, patience_s=0, plain_http=True)
        finally:
            release.set()


@pytest.mark.parametrize(
    ("failing", "outcome", "reported"),
    [
        (
            f"GET /picus/{KEY}",
            (200, {"object_id": KEY, "created_at": CREATED_AT, "payload": {"something": "else"}}),
            "not what was put",
        ),
        (f"GET /picus/{KEY}", None, "Server disconnected without sending a response"),
        (f"GET /picus/{KEY}", (200, {"payload": {}}), "get: expected an item"),
        ("GET /picus/list", (500, {"error": {}}), "list: expected 200, got 500"),
        ("GET /picus/list", (200, ["not", "an", "object"]), "list: expected a JSON object"),
    ],
)
def test_the_item_is_deleted_whichever_step_fails_and_carries_the_run(
    failing: str, outcome: tuple[int, Any] | None, reported: str
) -> None:
    fake = FakeApi(api_until(failing, outcome))
    with fake.serving() as url, pytest.raises(CheckFailed) as failure:
        check.check_walkthrough(url, patience_s=0, plain_http=True, run="the run")
    assert reported in str(failure.value)
    assert f"item {KEY} deleted" in str(failure.value)
    (put,) = [body for method, _, body in fake.calls if method == "POST"]
    assert put is not None
    assert put[check.MARKER]["run"] == "the run"
    assert fake.calls[-1][:2] == ("DELETE", f"/picus/{KEY}")


def test_an_item_the_clean_up_cannot_delete_is_named_with_its_marker() -> None:
    def behave(method: str, path: str, body: Any) -> Outcome:
        if method == "DELETE":
            return None
        return api_until(f"GET /picus/{KEY}", (500, {}))(method, path, body)

    with FakeApi(behave).serving() as url, pytest.raises(CheckFailed) as failure:
        check.check_walkthrough(url, patience_s=0, plain_http=True, run="the run")
    assert f"item {KEY} left in the table" in str(failure.value)
    assert f"payload.{check.MARKER}.run is 'the run'" in str(failure.value)


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "ftp://127.0.0.1/api",
        "data:application/json,{}",
        "https:///no-host",
        "//127.0.0.1/no-scheme",
    ],
)
def test_the_check_opens_no_other_scheme_than_https(url: str) -> None:
    with pytest.raises(CheckFailed, match="must be an https or http URL"):
        check.check_walkthrough(url, patience_s=0, plain_http=True)
    with pytest.raises(CheckFailed, match="must be an https URL"):
        check.client_credentials_token(url, "checker", "s3cret", "picus:read")


def test_plain_http_only_for_a_stack_without_a_certificate() -> None:
    fake = FakeApi(api_until("", (500, {})))
    with fake.serving() as url:
        # A stack that says it has a certificate, with auth on or off: its apiUrl is https, or
        # the outputs lie.
        for issuer in ("https://issuer.test", None):
            with_tls = replace(deployed(url), https=True, auth_issuer=issuer)
            lines = check.run(
                with_tls, boto3.client("ecs"), boto3.client("lambda"), boto3.client("codedeploy")
            )
            (walkthrough,) = [line for line in lines if "apiUrl" in line]
            assert walkthrough.startswith("FAIL  the stack's apiUrl must be an https URL")
        # And a token never travels in clear, whatever the caller says.
        with pytest.raises(CheckFailed, match="must be an https URL"):
            check.check_walkthrough(url, patience_s=0, plain_http=True, token="a.b.c")
    assert fake.calls == []


def test_the_token_endpoint_is_never_plain_http_and_never_redirects(tls: Tls) -> None:
    # given: a token endpoint over http, and one over https that redirects to it
    fake = FakeApi(lambda *_: (200, {"access_token": "stolen"}))

    with fake.serving() as plain:
        with pytest.raises(CheckFailed, match="PICUS_CHECK_TOKEN_URL must be an https URL"):
            check.client_credentials_token(f"{plain}/token", "checker", "s3cret", "picus:read")

        def to_plain(method: str, path: str, body: Any) -> tuple[int, Any]:
            return 307, {"location": f"{plain}/token"}

        redirect = FakeApi(to_plain)
        with (
            redirect.serving() as upstream,
            tls_front(upstream, tls) as secure,
            pytest.raises(CheckFailed, match=r"no token from .* it answered 307"),
        ):
            check.client_credentials_token(f"{secure}/token", "checker", "s3cret", "picus:read")
    # then: the secret went only where it was meant to, over TLS, and nowhere else
    assert fake.calls == []
    assert [path for _, path, _ in redirect.calls] == ["/token"]


def test_aws_errors_are_fail_lines(ecs: tuple[Any, Stubber]) -> None:
    client, stubber = ecs
    stubber.add_client_error("list_service_deployments", "AccessDeniedException", "not allowed")
    lambda_client, _ = alias_client("12")
    codedeploy = boto3.client("codedeploy", region_name="eu-west-1")
    lines = check.run(
        replace(deployed(), api_url="file:///etc/passwd"), client, lambda_client, codedeploy
    )
    # The release line reads the outputs only.
    assert [line.split()[0] for line in lines] == ["ok", "ok", "FAIL", "FAIL"]
    assert "AccessDeniedException" in lines[2]


@pytest.mark.parametrize(
    ("https", "reported"),
    [
        (None, "the stack's outputs lack https"),
        ("false", "the stack's output https is 'false', not true or false"),
        (0, "the stack's output https is 0, not true or false"),
    ],
)
def test_whether_the_stack_serves_https_is_read_never_guessed(
    https: object,
    reported: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # given: outputs of a stack without auth that do not say whether it has a certificate
    fake = FakeApi(api_until("", (500, {})))
    monkeypatch.setattr(boto3, "client", lambda name, **_: pytest.fail(f"{name} client made"))
    with fake.serving() as url:
        values = {k: v for k, v in stack_outputs(url).items() if k != outputs.HTTPS}
        written = tmp_path / "outputs.json"
        written.write_text(
            json.dumps(values if https is None else {**values, outputs.HTTPS: https})
        )
        # when
        code = check.main([str(written)])
    # then: one FAIL line naming the output, and nothing called
    assert code == 1
    (line,) = capsys.readouterr().out.splitlines()
    assert line.startswith(f"FAIL  {reported}")
    assert fake.calls == []


def test_every_output_the_check_reads_is_named_when_missing() -> None:
    with pytest.raises(CheckFailed) as failure:
        Deployed.from_outputs({outputs.API_URL: "https://api.example.com"})
    for name in (outputs.CLUSTER_NAME, outputs.FUNCTION_VERSION, outputs.HTTPS):
        assert name in str(failure.value)


# --- ECS's service deployments: each strategy, each outcome ------------------------------------

SERVICE_ARN = (
    "arn:aws:ecs:eu-west-1:123456789012:service/picus-dev-api-cluster/picus-dev-api-service-1a2b3c4"
)
SERVICE_DEPLOYMENT = (
    "arn:aws:ecs:eu-west-1:123456789012:service-deployment/picus-dev-api-cluster/"
    "picus-dev-api-service-1a2b3c4/Oa5hGdeTfHc4x9mVlbRvE"
)
#: Each strategy's configuration as ECS reports it, and the readings of a release that succeeds:
#: (lifecycle stage, production traffic on the new revision in %).
STRATEGIES: dict[str, tuple[dict[str, Any], list[tuple[str, float]]]] = {
    "rolling": (
        {"strategy": "ROLLING", "maximumPercent": 200, "minimumHealthyPercent": 100},
        [("SCALE_UP", 0.0), ("CLEAN_UP", 100.0)],
    ),
    "canary": (
        {
            "strategy": "CANARY",
            "bakeTimeInMinutes": 10,
            "canaryConfiguration": {"canaryPercent": 5.0, "canaryBakeTimeInMinutes": 10},
        },
        [
            ("PRODUCTION_TRAFFIC_SHIFT", 5.0),
            ("PRODUCTION_TRAFFIC_SHIFT", 100.0),
            ("BAKE_TIME", 100.0),
        ],
    ),
    "linear": (
        {
            "strategy": "LINEAR",
            "bakeTimeInMinutes": 10,
            "linearConfiguration": {"stepPercent": 50.0, "stepBakeTimeInMinutes": 6},
        },
        [
            ("PRODUCTION_TRAFFIC_SHIFT", 50.0),
            ("PRODUCTION_TRAFFIC_SHIFT", 100.0),
            ("BAKE_TIME", 100.0),
        ],
    ),
    "blueGreen": (
        {"strategy": "BLUE_GREEN", "bakeTimeInMinutes": 10},
        [("TEST_TRAFFIC_SHIFT", 0.0), ("PRODUCTION_TRAFFIC_SHIFT", 100.0), ("BAKE_TIME", 100.0)],
    ),
}
CREATED = datetime.datetime(2025, 7, 1, 12, 0, tzinfo=datetime.UTC)


def service_deployment(
    configuration: dict[str, Any],
    status: str,
    stage: str | None = None,
    weight: float = 0.0,
    **extra: Any,
) -> dict[str, Any]:
    reading: dict[str, Any] = {
        "serviceDeploymentArn": SERVICE_DEPLOYMENT,
        "serviceArn": SERVICE_ARN,
        "createdAt": CREATED,
        "status": status,
        "deploymentConfiguration": {
            "deploymentCircuitBreaker": {"enable": True, "rollback": True},
            "alarms": {
                "alarmNames": ["picus-dev-deploy-5xx-rate"],
                "rollback": True,
                "enable": True,
            },
            **configuration,
        },
        "targetServiceRevision": {
            "arn": f"{SERVICE_ARN}:7",
            "requestedProductionTrafficWeight": weight,
        },
        **extra,
    }
    if stage is not None:
        reading["lifecycleStage"] = stage
    return reading


def described(stubber: Stubber, reading: dict[str, Any]) -> None:
    stubber.add_response(
        "describe_service_deployments",
        {"serviceDeployments": [reading]},
        {"serviceDeploymentArns": [SERVICE_DEPLOYMENT]},
    )


def release_of(stubber: Stubber, strategy: str, outcome: str) -> list[tuple[str, float]]:
    """Stubs a release of ``strategy`` up to its outcome; returns the readings it went through."""
    configuration, phases = STRATEGIES[strategy]
    first = service_deployment(configuration, "IN_PROGRESS", *phases[0])
    listed(stubber, first)
    if outcome == "baking past patience":
        described(stubber, service_deployment(configuration, "IN_PROGRESS", "BAKE_TIME", 100.0))
        return []
    if outcome == "success":
        for stage, weight in phases:
            described(stubber, service_deployment(configuration, "IN_PROGRESS", stage, weight))
        described(stubber, service_deployment(configuration, "SUCCESSFUL", weight=100.0))
        answer(stubber, deployment(REVISION, "PRIMARY", "COMPLETED"))
        return phases
    # The first slice breaks PUT while /health stays green: the 5xx-rate alarm fires there.
    stage, weight = phases[0]
    described(stubber, service_deployment(configuration, "IN_PROGRESS", stage, weight))
    if outcome == "rollback":
        described(
            stubber,
            service_deployment(
                configuration,
                "ROLLBACK_IN_PROGRESS",
                stage,
                weight,
                statusReason="Service deployment rolled back because of an alarm.",
                rollback={
                    "reason": "alarm picus-dev-deploy-5xx-rate in ALARM",
                    "startedAt": CREATED,
                },
                alarms={
                    "status": "TRIGGERED",
                    "alarmNames": ["picus-dev-deploy-5xx-rate"],
                    "triggeredAlarmNames": ["picus-dev-deploy-5xx-rate"],
                },
            ),
        )
    else:
        described(
            stubber,
            service_deployment(
                configuration, "STOPPED", stage, weight, statusReason="stopped by a newer update"
            ),
        )
    return [(stage, weight)]


@pytest.mark.parametrize("strategy", list(STRATEGIES))
def test_a_release_is_followed_phase_by_phase_until_it_succeeds(
    ecs: tuple[Any, Stubber], strategy: str
) -> None:
    client, stubber = ecs
    phases = release_of(stubber, strategy, "success")
    seen: list[str] = []
    report = check.check_rollout(client, deployed(), sleep=lambda _: None, progress=seen.append)
    assert "picus-dev-api-service:7" in report
    # Every phase reported once, as it changed, ending with the success.
    assert len(seen) == len(phases) + 1
    assert "SUCCESSFUL" in seen[-1]
    if strategy != "rolling":
        assert f"{phases[0][1]:g} % of production traffic on the new revision" in seen[0]
    if STRATEGIES[strategy][0].get("bakeTimeInMinutes"):
        assert any("baking" in line for line in seen)


@pytest.mark.parametrize("strategy", list(STRATEGIES))
def test_a_rollback_fails_the_check_naming_the_alarm(
    ecs: tuple[Any, Stubber], strategy: str
) -> None:
    client, stubber = ecs
    release_of(stubber, strategy, "rollback")
    seen: list[str] = []
    with pytest.raises(CheckFailed) as failure:
        check.check_rollout(client, deployed(), sleep=lambda _: None, progress=seen.append)
    assert "rolled the deployment of" in str(failure.value)
    assert "picus-dev-deploy-5xx-rate" in str(failure.value)
    # Stopped at the first slice: no reading ever showed every user on the new revision.
    if strategy in ("canary", "linear"):
        assert not any("100 % of production traffic" in line for line in seen)


@pytest.mark.parametrize("strategy", list(STRATEGIES))
def test_a_stopped_release_fails_the_check(ecs: tuple[Any, Stubber], strategy: str) -> None:
    client, stubber = ecs
    release_of(stubber, strategy, "stopped")
    with pytest.raises(CheckFailed, match=r"was stopped \(STOPPED\): stopped by a newer update"):
        check.check_rollout(client, deployed(), sleep=lambda _: None, progress=lambda _: None)


@pytest.mark.parametrize("strategy", list(STRATEGIES))
def test_a_release_still_baking_past_its_patience_fails(
    ecs: tuple[Any, Stubber], strategy: str
) -> None:
    client, stubber = ecs
    release_of(stubber, strategy, "baking past patience")
    with pytest.raises(CheckFailed, match=r"has not finished after 0 s: .*baking"):
        check.check_rollout(client, deployed(), patience_s=0, progress=lambda _: None)


def test_the_patience_is_what_the_deployment_asks_for() -> None:
    base = check.ROLLOUT_PATIENCE_S
    assert check.service_patience_s(STRATEGIES["rolling"][0]) == base
    assert check.service_patience_s(STRATEGIES["canary"][0]) == base + 60 * (10 + 10)
    assert check.service_patience_s(STRATEGIES["linear"][0]) == base + 60 * (10 + 2 * 6)
    assert check.service_patience_s(STRATEGIES["blueGreen"][0]) == base + 60 * 10


# --- CodeDeploy's shift of the function's alias ------------------------------------------------

FUNCTION_NAME = FUNCTION.split(":")[6]
DEPLOYMENT_ID = "d-ABCD12345"


def alias_answer(stubber: Stubber, version: str, new_share: float | None = None) -> None:
    answer_: dict[str, Any] = {
        "AliasArn": f"{FUNCTION}:{ALIAS}",
        "Name": ALIAS,
        "FunctionVersion": version,
    }
    if new_share is not None:
        answer_["RoutingConfig"] = {"AdditionalVersionWeights": {"12": new_share}}
    stubber.add_response("get_alias", answer_, {"FunctionName": FUNCTION, "Name": ALIAS})


def deployment_info(status: str, **extra: Any) -> dict[str, Any]:
    content = appspec(Release(FUNCTION_NAME, "12"), "11")
    return {
        "deploymentInfo": {
            "applicationName": FUNCTION_NAME,
            "deploymentGroupName": GROUP,
            "deploymentConfigName": "picus-dev-release-config-1a2b3c4",
            "deploymentId": DEPLOYMENT_ID,
            "status": status,
            "computePlatform": "Lambda",
            "createTime": CREATED,
            "revision": {"revisionType": "AppSpecContent", "appSpecContent": {"content": content}},
            **extra,
        }
    }


def shift_started(cd_stub: Stubber, fn_stub: Stubber) -> None:
    """The alias on 11, and the deployment to 12 found, in progress, a 10 %/5 minute canary."""
    alias_answer(fn_stub, "11")
    cd_stub.add_response(
        "list_deployments",
        {"deployments": [DEPLOYMENT_ID]},
        {"applicationName": FUNCTION_NAME, "deploymentGroupName": GROUP},
    )
    cd_stub.add_response(
        "get_deployment", deployment_info("InProgress"), {"deploymentId": DEPLOYMENT_ID}
    )
    cd_stub.add_response(
        "get_deployment_config",
        {
            "deploymentConfigInfo": {
                "deploymentConfigName": "picus-dev-release-config-1a2b3c4",
                "computePlatform": "Lambda",
                "trafficRoutingConfig": {
                    "type": "TimeBasedCanary",
                    "timeBasedCanary": {"canaryPercentage": 10, "canaryInterval": 5},
                },
            }
        },
        {"deploymentConfigName": "picus-dev-release-config-1a2b3c4"},
    )


def then(
    cd_stub: Stubber, fn_stub: Stubber, status: str, version: str, share: float | None, **extra: Any
) -> None:
    cd_stub.add_response(
        "get_deployment", deployment_info(status, **extra), {"deploymentId": DEPLOYMENT_ID}
    )
    alias_answer(fn_stub, version, share)


def test_the_functions_shift_is_followed_until_it_succeeds(
    release_clients: tuple[Any, Stubber, Any, Stubber],
) -> None:
    codedeploy, cd_stub, functions, fn_stub = release_clients
    shift_started(cd_stub, fn_stub)
    then(cd_stub, fn_stub, "InProgress", "11", 0.1)
    then(cd_stub, fn_stub, "Succeeded", "12", None)
    seen: list[str] = []
    waits: list[float] = []
    report = check.check_function_release(
        codedeploy, functions, deployed(), sleep=waits.append, progress=seen.append
    )
    assert report == f"Lambda: alias {ALIAS} -> version 12 (CodeDeploy {DEPLOYMENT_ID})"
    assert [line.split(": ", 2)[-1] for line in seen] == [
        "InProgress, alias live sends 100% to version 11",
        "InProgress, alias live sends 90% to version 11 and 10% to version 12",
        "Succeeded, alias live sends 100% to version 12",
    ]
    assert waits == [check.POLL_S, check.POLL_S]


def test_a_shift_stopped_by_an_alarm_fails_and_says_where_the_alias_went(
    release_clients: tuple[Any, Stubber, Any, Stubber],
) -> None:
    codedeploy, cd_stub, functions, fn_stub = release_clients
    shift_started(cd_stub, fn_stub)
    then(cd_stub, fn_stub, "InProgress", "11", 0.1)
    then(
        cd_stub,
        fn_stub,
        "Stopped",
        "11",
        None,
        errorInformation={
            "code": "ALARM_ACTIVE",
            "message": "One or more alarms have been activated: picus-dev-release-5xx-aae2e91",
        },
        rollbackInfo={"rollbackDeploymentId": "d-ROLLBACK1", "rollbackMessage": "Rolled back"},
    )
    with pytest.raises(CheckFailed) as failure:
        check.check_function_release(
            codedeploy, functions, deployed(), sleep=lambda _: None, progress=lambda _: None
        )
    message = str(failure.value)
    assert "Stopped the shift to version 12: ALARM_ACTIVE" in message
    assert "picus-dev-release-5xx" in message
    assert message.endswith("alias live sends 100% to version 11")


def test_a_shift_that_says_succeeded_but_left_the_alias_elsewhere_is_no_success(
    release_clients: tuple[Any, Stubber, Any, Stubber],
) -> None:
    codedeploy, cd_stub, functions, fn_stub = release_clients
    shift_started(cd_stub, fn_stub)
    then(cd_stub, fn_stub, "Succeeded", "11", None)
    with pytest.raises(CheckFailed, match="not all to the 12"):
        check.check_function_release(
            codedeploy, functions, deployed(), sleep=lambda _: None, progress=lambda _: None
        )


def test_a_shift_still_running_past_its_patience_fails(
    release_clients: tuple[Any, Stubber, Any, Stubber],
) -> None:
    codedeploy, cd_stub, functions, fn_stub = release_clients
    alias_answer(fn_stub, "11", 0.1)
    cd_stub.add_response(
        "list_deployments",
        {"deployments": [DEPLOYMENT_ID]},
        {"applicationName": FUNCTION_NAME, "deploymentGroupName": GROUP},
    )
    cd_stub.add_response(
        "get_deployment", deployment_info("InProgress"), {"deploymentId": DEPLOYMENT_ID}
    )
    with pytest.raises(CheckFailed, match=f"{DEPLOYMENT_ID} is still InProgress after 0 s"):
        check.check_function_release(
            codedeploy, functions, deployed(), patience_s=0, progress=lambda _: None
        )


def test_an_alias_left_behind_with_no_shift_under_way_fails(
    release_clients: tuple[Any, Stubber, Any, Stubber],
) -> None:
    codedeploy, cd_stub, functions, fn_stub = release_clients
    alias_answer(fn_stub, "11")
    cd_stub.add_response(
        "list_deployments",
        {"deployments": []},
        {"applicationName": FUNCTION_NAME, "deploymentGroupName": GROUP},
    )
    with pytest.raises(CheckFailed, match="no CodeDeploy deployment shifts it to version 12"):
        check.check_function_release(codedeploy, functions, deployed(), progress=lambda _: None)


def test_an_alias_already_on_the_new_version_needs_no_shift(
    release_clients: tuple[Any, Stubber, Any, Stubber],
) -> None:
    # The first up of a stack creates the alias on the version it published.
    codedeploy, _, functions, fn_stub = release_clients
    alias_answer(fn_stub, "12")
    assert check.check_function_release(codedeploy, functions, deployed()) == (
        f"Lambda: alias {ALIAS} -> version 12"
    )


def test_a_rolled_back_or_unfinished_canary_is_never_a_release() -> None:
    deployed = check.Deployed.from_outputs(
        {**stack_outputs("https://api.example.com"), outputs.IMAGE_URI: "repo@sha256:old"}
    )
    # The canary rolled back: the service still runs the old image.
    with pytest.raises(check.CheckFailed, match="not repo@sha256:new: the release was rolled back"):
        check.check_release(deployed, "repo@sha256:new")
    assert "runs repo@sha256:old, no canary" in check.check_release(deployed, "repo@sha256:old")
    # A job that died mid-canary: a share is still on the canary.
    half = replace(deployed, canary_image_uri="repo@sha256:new", canary_weight=5)
    with pytest.raises(check.CheckFailed, match="still holds 5 % of the traffic"):
        check.check_release(half, None)


def test_the_walkthrough_sends_the_release_header_with_every_call() -> None:
    fake = FakeApi(api_until("nothing fails", None))
    with fake.serving() as url:
        said = check.check_walkthrough(
            url, patience_s=0, plain_http=True, headers={"X-Picus-Release": "a" * 40}
        )
    assert "through X-Picus-Release" in said
    # The replace and the delete each name the version they change: the read one, then the
    # replaced one.
    conditions = [(m, h.get("if-match")) for m, _, h in fake.headers if m in ("PUT", "DELETE")]
    assert conditions[:2] == [("PUT", '"0"'), ("DELETE", '"1"')]
    assert [(m, p) for m, p, _ in fake.headers] == [
        ("GET", "/health"),
        ("POST", "/picus/put"),
        ("GET", f"/picus/{KEY}"),
        ("PUT", f"/picus/{KEY}"),
        ("GET", "/picus/list?limit=1"),
        ("DELETE", f"/picus/{KEY}"),
        ("GET", f"/picus/{KEY}"),
        ("DELETE", f"/picus/{KEY}"),
    ]
    assert {h.get("x-picus-release") for _, _, h in fake.headers} == {"a" * 40}


def test_a_wrong_route_after_delete_is_no_success() -> None:
    # A 404 that is no_such_route means the request went nowhere: never "the item is gone".
    def behave(method: str, path: str, body: Any) -> Outcome:
        if method == "GET" and path == f"/picus/{KEY}" and not stored:
            return 404, {"error": {"code": "no_such_route", "message": "", "request_id": ""}}
        answer = working(method, path, body)
        if method == "POST":
            stored.append(KEY)
        if method == "DELETE":
            stored.clear()
        return answer

    stored: list[str] = []
    working = api_until("nothing fails", None)
    with FakeApi(behave).serving() as url, pytest.raises(CheckFailed) as failure:
        check.check_walkthrough(url, patience_s=0, plain_http=True)
    assert str(failure.value).startswith("get after delete: expected 404, got 404 no_such_route")
