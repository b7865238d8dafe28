"""The OpenAPI 3.1 description of `/api/v1/`, served at `/api/v1/openapi.json`, generated
by spectree from the routes of views.py and the pydantic models of schemas.py: the bodies
are described where they are checked. The tests check every answer of the routes against
it (tests/test_api.py) and schemathesis runs against it (tests/security/test_no_500.py).

Two things spectree does not say are set here: problem details are
`application/problem+json` (RFC 9457), and the path's external id has the pattern of the
`token` converter its route uses."""

from __future__ import annotations

from copy import deepcopy
from functools import cache

from spectree import SecurityScheme, SecuritySchemeData, SpecTree
from spectree.models import Server

from portal.domain.work_orders import EXTERNAL_ID

PREFIX = "/api/v1"
PROBLEM = "application/problem+json"

spec = SpecTree(
    "flask",
    mode="strict",
    title="吹哨报到 work orders",
    version="1.0.0",
    description=(
        "Hand a whistle over from a 12345 hotline platform or another government system, "
        "read its status and events. The same external_id twice is one case. Tokens are "
        "issued per system by the administrator and scoped to a jurisdiction; every call is "
        "audited. Calls are limited per token; over the limit the answer is 429 with "
        "Retry-After."
    ),
    servers=[Server(url=PREFIX)],
    security_schemes=[
        SecurityScheme(name="token", data=SecuritySchemeData(type="http", scheme="bearer"))
    ],
    security={"token": []},
    naming_strategy=lambda model: model.__name__,
    nested_naming_strategy=lambda _parent, child: child,
)


def _spectree_validation_error(answer: dict) -> bool:
    """The 422 spectree adds to every operation for its own validation, which the views do
    not use (schemas.read_order answers 422 with a problem)."""
    schema = answer.get("content", {}).get("application/json", {}).get("schema", {})
    return schema.get("$ref", "").endswith("/ValidationError")


@cache
def _document() -> dict:
    doc = deepcopy(spec.spec)
    doc.pop("tags", None)
    for name in ("ValidationError", "ValidationErrorElement"):
        doc["components"]["schemas"].pop(name, None)
    paths = {}
    for path, operations in doc["paths"].items():
        for operation in operations.values():
            for key in ("tags", "parameters", "description"):
                if not operation.get(key):
                    operation.pop(key, None)
            operation["responses"] = {
                status: answer
                for status, answer in operation["responses"].items()
                if not _spectree_validation_error(answer)
            }
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "path" and parameter["name"] == "external_id":
                    parameter["schema"] = {
                        "type": "string",
                        "pattern": f"^{EXTERNAL_ID.pattern}$",
                    }
                    parameter.pop("description", None)
            for status, answer in operation["responses"].items():
                content = answer.get("content", {})
                if int(status) >= 400 and "application/json" in content:
                    content[PROBLEM] = content.pop("application/json")
        paths[path.removeprefix(PREFIX)] = operations
    doc["paths"] = paths
    return doc


def document() -> dict:
    """The document, built once (spectree reads the routes of the current application)."""
    return _document()
