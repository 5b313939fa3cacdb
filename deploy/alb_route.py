"""Calls to the API's domain sent to one region's load balancer instead of where DNS answers.

Route 53 answers the domain of a stack of several regions with the region of least latency
(components/domain_record.py), so a call to the domain reaches one region only, whichever is
nearest the deployer. To check each region, the check connects to that region's load balancer
(its ``albDnsName``) and sends the domain as the Host header and, over TLS, as the server name
(SNI): the ALB then picks the domain's certificate, the certificate is verified for the domain,
and the listener's host rules see what a client's call would show them. No check weakens TLS
to reach a region.
"""

from __future__ import annotations

import ssl

import httpx


class AlbTransport(httpx.BaseTransport):
    """Sends each request to ``alb_host`` (``host`` or ``host:port``), its URL's host kept as
    the Host header and the TLS server name."""

    def __init__(self, alb_host: str, inner: httpx.BaseTransport | None = None) -> None:
        self.alb_host = alb_host
        # The system's trust store, as the rest of the check uses (deploy/check.py).
        self.inner = inner or httpx.HTTPTransport(verify=ssl.create_default_context())

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        domain = request.url.host
        host, _, port = self.alb_host.partition(":")
        request.url = request.url.copy_with(host=host, port=int(port) if port else None)
        # httpx set Host from the domain's URL when it built the request; it stays.
        request.extensions = {**request.extensions, "sni_hostname": domain}
        return self.inner.handle_request(request)

    def close(self) -> None:
        self.inner.close()
