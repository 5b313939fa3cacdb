"""What AWS documents of the managed rules the firewall uses, as far as it can be checked
offline: each rule's inspected part and the condition AWS gives for a match.

From docs.aws.amazon.com/waf/latest/developerguide/aws-managed-rule-groups-baseline.html
(core rule set "AWSManagedRulesCommonRuleSet" and "AWSManagedRulesKnownBadInputsRuleSet").
The pattern rules (cross-site scripting, LFI, RFI, Log4j) are AWS's signatures, which are not
published; their documented examples stand in for them here.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    query: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers.items() if k.lower() == name), None)


_LOG4J = re.compile(r"\$\{(jndi|lower|upper|env|sys|java|date|::-)", re.IGNORECASE)
_XSS = re.compile(r"<\s*script|javascript:|onerror\s*=", re.IGNORECASE)
_LFI = re.compile(r"\.\./|\.\.\\|/etc/passwd")
_RFI = re.compile(r"(https?|ftp)://\d{1,3}(\.\d{1,3}){3}")
_SSRF = re.compile(r"169\.254\.169\.254")
_JAVA_SERIALIZED = re.compile(r"rO0AB|\xac\xed\x00\x05")
_RESTRICTED_EXTENSIONS = re.compile(r"\.(log|ini|cfg|conf|bak|backup|sql|env)$", re.IGNORECASE)
_EXPLOITABLE_PATHS = re.compile(r"/(web-inf|meta-inf|\.git|\.env)(/|$)", re.IGNORECASE)
#: AWS WAF inspects the first 8 KB of an ALB request's body.
BODY_INSPECTION_BYTES = 8 * 1024


def _body(r: Request) -> str:
    return r.body[:BODY_INSPECTION_BYTES].decode("latin-1")


RULES: dict[str, dict[str, Callable[[Request], bool]]] = {
    "AWSManagedRulesCommonRuleSet": {
        "NoUserAgent_HEADER": lambda r: not r.header("user-agent"),
        "UserAgent_BadBots_HEADER": lambda r: bool(
            re.search(r"nessus|nmap", r.header("user-agent") or "", re.IGNORECASE)
        ),
        "SizeRestrictions_QUERYSTRING": lambda r: len(r.query.encode()) > 2048,
        "SizeRestrictions_Cookie_HEADER": lambda r: (
            len((r.header("cookie") or "").encode()) > 10240
        ),
        "SizeRestrictions_BODY": lambda r: len(r.body) > BODY_INSPECTION_BYTES,
        "SizeRestrictions_URIPATH": lambda r: len(r.path.encode()) > 1024,
        "EC2MetaDataSSRF_BODY": lambda r: bool(_SSRF.search(_body(r))),
        "EC2MetaDataSSRF_QUERYARGUMENTS": lambda r: bool(_SSRF.search(r.query)),
        "EC2MetaDataSSRF_URIPATH": lambda r: bool(_SSRF.search(r.path)),
        "GenericLFI_QUERYARGUMENTS": lambda r: bool(_LFI.search(r.query)),
        "GenericLFI_URIPATH": lambda r: bool(_LFI.search(r.path)),
        "GenericLFI_BODY": lambda r: bool(_LFI.search(_body(r))),
        "RestrictedExtensions_URIPATH": lambda r: bool(_RESTRICTED_EXTENSIONS.search(r.path)),
        "GenericRFI_QUERYARGUMENTS": lambda r: bool(_RFI.search(r.query)),
        "GenericRFI_BODY": lambda r: bool(_RFI.search(_body(r))),
        "GenericRFI_URIPATH": lambda r: bool(_RFI.search(r.path)),
        "CrossSiteScripting_QUERYARGUMENTS": lambda r: bool(_XSS.search(r.query)),
        "CrossSiteScripting_BODY": lambda r: bool(_XSS.search(_body(r))),
        "CrossSiteScripting_URIPATH": lambda r: bool(_XSS.search(r.path)),
    },
    "AWSManagedRulesKnownBadInputsRuleSet": {
        "JavaDeserializationRCE_BODY": lambda r: bool(_JAVA_SERIALIZED.search(_body(r))),
        "JavaDeserializationRCE_URIPATH": lambda r: bool(_JAVA_SERIALIZED.search(r.path)),
        "JavaDeserializationRCE_QUERYSTRING": lambda r: bool(_JAVA_SERIALIZED.search(r.query)),
        "Host_localhost_HEADER": lambda r: (r.header("host") or "").split(":")[0] == "localhost",
        "PROPFIND_METHOD": lambda r: r.method == "PROPFIND",
        "ExploitablePaths_URIPATH": lambda r: bool(_EXPLOITABLE_PATHS.search(r.path)),
        "Log4JRCE_QUERYSTRING": lambda r: bool(_LOG4J.search(r.query)),
        "Log4JRCE_BODY": lambda r: bool(_LOG4J.search(_body(r))),
        "Log4JRCE_URIPATH": lambda r: bool(_LOG4J.search(r.path)),
        "Log4JRCE_HEADER": lambda r: any(_LOG4J.search(v) for v in r.headers.values()),
    },
}


def matches(request: Request) -> set[tuple[str, str]]:
    return {
        (group, rule)
        for group, rules in RULES.items()
        for rule, hit in rules.items()
        if hit(request)
    }
