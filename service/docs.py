"""``/docs``: Swagger UI 5 over ``/openapi.json``, with "Try it out" for every operation (the
DELETE included, which the load balancer routes to the function).

The page's script and styles are the ones the ``swagger-ui-py`` package ships, served from here:
no CDN, so the page works offline and nothing third-party runs in it. Without JavaScript the
page shows the operations as a table.
"""

from __future__ import annotations

import html
import importlib.util
import json
from pathlib import Path
from typing import Any, Final

from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, Response

from picus import contract
from picus.errors import NoSuchRoute
from service.access import public
from service.openapi import document

DOCS_PATH: Final = contract.DOCS_PATH
ASSETS_PATH: Final = contract.DOCS_ASSETS_PATH
#: The files of Swagger UI's distribution the page loads; nothing else is served.
ASSETS: Final = ("swagger-ui.css", "swagger-ui-bundle.js", "favicon-32x32.png")
INIT_SCRIPT: Final = "init.js"


def _assets_dir() -> Path:
    # Located, not imported: the package's own module pulls in a templating engine we never use.
    spec = importlib.util.find_spec("swagger_ui")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("swagger-ui-py is not installed (lock/service.txt has it)")
    return Path(next(iter(spec.submodule_search_locations))) / "static"


ASSETS_DIR: Final = _assets_dir()

_INIT_JS: Final = (
    "window.ui = SwaggerUIBundle({"
    f"url: '{contract.OPENAPI_PATH}', dom_id: '#swagger-ui', deepLinking: true,"
    # The public validator is a third-party service: never called.
    " validatorUrl: null, displayRequestDuration: true,"
    " presets: [SwaggerUIBundle.presets.apis], layout: 'BaseLayout'});\n"
)


def _operations_table(spec: dict[str, Any]) -> str:
    rows = []
    for path, operations in spec["paths"].items():
        for method, op in operations.items():
            statuses = ", ".join(
                f"<b>{s}</b> {html.escape(r['description'])}" for s, r in op["responses"].items()
            )
            rows.append(
                f"<tr><td><code>{method.upper()} {html.escape(path)}</code></td>"
                f"<td>{html.escape(op['summary'])}</td><td>{statuses}</td></tr>"
            )
    schemas = html.escape(json.dumps(spec["components"]["schemas"], indent=2))
    return (
        "<table><tr><th>operation</th><th>what it does</th><th>responses</th></tr>"
        + "".join(rows)
        + f"</table><h2>Schemas</h2><pre>{schemas}</pre>"
    )


def _page(spec: dict[str, Any]) -> str:
    title = html.escape(f"{spec['info']['title']} API")
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>{title}</title>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<link rel='icon' href='{ASSETS_PATH}/favicon-32x32.png'>"
        f"<link rel='stylesheet' href='{ASSETS_PATH}/swagger-ui.css'>"
        "<style>body{margin:0}noscript{font-family:sans-serif}noscript table td{"
        "border-top:1px solid #ccc;padding:.4em;vertical-align:top}</style></head><body>"
        f"<div id='swagger-ui'></div><noscript><h1>{title}</h1>"
        f"<p>Machine-readable: <a href='{contract.OPENAPI_PATH}'>{contract.OPENAPI_PATH}</a></p>"
        f"{_operations_table(spec)}</noscript>"
        f"<script src='{ASSETS_PATH}/swagger-ui-bundle.js'></script>"
        f"<script src='{ASSETS_PATH}/{INIT_SCRIPT}'></script>"
        "</body></html>"
    )


#: The operations and their answers, which are the same in every stack (only their security
#: differs, and Swagger UI reads that from the stack's own document).
_PAGE: Final = _page(document())


@public
async def docs(request: Request) -> Response:
    return HTMLResponse(_PAGE)


@public
async def asset(request: Request) -> Response:
    name = request.path_params["name"]
    if name == INIT_SCRIPT:
        return Response(_INIT_JS, media_type="text/javascript")
    if name not in ASSETS:
        raise NoSuchRoute("no such file of the documentation")
    # Versioned by the lock: a day in the browser's cache is safe and saves 1.5 MB a visit.
    return FileResponse(ASSETS_DIR / name, headers={"cache-control": "public, max-age=86400"})
