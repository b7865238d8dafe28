"""The OpenAPI 3.1 description of `/api/v1/`, served at `/api/v1/openapi.json`; the tests
check the answers of the routes against it (tests/test_api.py)."""

from __future__ import annotations

from portal.domain.models import CaseState, CaseType, RatingLevel
from portal.domain.work_orders import CHANNELS, EXTERNAL_ID, LIMITS

TEXT = {"type": "string", "minLength": 1}
WHEN = {"type": "string", "format": "date-time"}


def _text(path: str) -> dict:
    return {**TEXT, "maxLength": LIMITS[path]}


def document() -> dict:
    problem = {"$ref": "#/components/schemas/Problem"}
    problem_answer = {"content": {"application/problem+json": {"schema": problem}}}
    status_answer = {
        "content": {
            "application/json": {"schema": {"$ref": "#/components/schemas/WorkOrderStatus"}}
        }
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "吹哨报到 work orders",
            "version": "1.0.0",
            "description": (
                "Hand a whistle over from a 12345 hotline platform or another government "
                "system, read its status and events. The same external_id twice is one case. "
                "Tokens are issued per system by the administrator and scoped to a "
                "jurisdiction; every call is audited."
            ),
        },
        "servers": [{"url": "/api/v1"}],
        "security": [{"token": []}],
        "paths": {
            "/work-orders": {
                "post": {
                    "operationId": "createWorkOrder",
                    "summary": "Register a work order as a case (idempotent by external_id)",
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": {"$ref": "#/components/schemas/WorkOrder"}
                            }
                        },
                    },
                    "responses": {
                        "201": {"description": "Registered", **status_answer},
                        "200": {"description": "Already registered: its case", **status_answer},
                        "400": {"description": "Not JSON", **problem_answer},
                        "401": {"description": "Wrong, revoked or missing token", **problem_answer},
                        "415": {"description": "Not application/json", **problem_answer},
                        "422": {
                            "description": "Fields that cannot be taken, each named",
                            **problem_answer,
                        },
                    },
                }
            },
            "/work-orders/{external_id}": {
                "get": {
                    "operationId": "getWorkOrder",
                    "summary": "A work order's case: state, due date, events, reply, rating",
                    "parameters": [
                        {
                            "name": "external_id",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "string", "pattern": f"^{EXTERNAL_ID.pattern}$"},
                        }
                    ],
                    "responses": {
                        "200": {"description": "The work order's case", **status_answer},
                        "401": {"description": "Wrong, revoked or missing token", **problem_answer},
                        "404": {
                            "description": "This client sent no such work order",
                            **problem_answer,
                        },
                    },
                }
            },
        },
        "components": {
            "securitySchemes": {"token": {"type": "http", "scheme": "bearer"}},
            "schemas": {
                "WorkOrder": {
                    "type": "object",
                    "required": [
                        "external_id",
                        "enterprise",
                        "contact",
                        "title",
                        "text",
                        "received_at",
                    ],
                    "properties": {
                        "external_id": {"type": "string", "pattern": f"^{EXTERNAL_ID.pattern}$"},
                        "channel": {
                            "enum": [c.value for c in CHANNELS],
                            "default": "hotline_12345",
                        },
                        "type": {"enum": [t.value for t in CaseType], "default": "business"},
                        "enterprise": {
                            "type": "object",
                            "required": ["name"],
                            "properties": {
                                "name": _text("enterprise.name"),
                                "credit_code": {"type": "string", "maxLength": 64},
                            },
                        },
                        "contact": {
                            "type": "object",
                            "required": ["name", "phone"],
                            "properties": {
                                "name": _text("contact.name"),
                                "phone": _text("contact.phone"),
                            },
                        },
                        "category": {
                            "type": "integer",
                            "minimum": 1,
                            "description": "The category's number in the jurisdiction's catalogue",
                        },
                        "title": _text("title"),
                        "text": _text("text"),
                        "received_at": {
                            **WHEN,
                            "description": "When the platform took the call, with its offset",
                        },
                    },
                },
                "WorkOrderStatus": {
                    "type": "object",
                    "required": [
                        "external_id",
                        "case_number",
                        "state",
                        "received_at",
                        "due",
                        "events",
                        "reply",
                        "rating",
                        "refusal",
                    ],
                    "properties": {
                        "external_id": {"type": "string"},
                        "case_number": {"type": "string"},
                        "state": {"enum": [s.value for s in CaseState]},
                        "received_at": WHEN,
                        "due": {"type": ["string", "null"], "format": "date"},
                        "events": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "required": ["at", "action", "state", "note"],
                                "properties": {
                                    "at": WHEN,
                                    "action": {"type": "string"},
                                    "state": {"type": ["string", "null"]},
                                    "note": {"type": ["string", "null"]},
                                },
                            },
                        },
                        "reply": {
                            "type": ["object", "null"],
                            "required": ["text", "at"],
                            "properties": {"text": {"type": "string"}, "at": WHEN},
                        },
                        "rating": {
                            "type": ["object", "null"],
                            "required": ["level", "solved"],
                            "properties": {
                                "level": {"enum": [r.value for r in RatingLevel]},
                                "solved": {"type": ["boolean", "null"]},
                            },
                        },
                        "refusal": {
                            "type": ["object", "null"],
                            "required": ["action", "reason_code", "message"],
                            "properties": {
                                "action": {"enum": ["refuse", "merge"]},
                                "reason_code": {
                                    "type": ["integer", "null"],
                                    "description": "Shantou 二's ten reasons",
                                },
                                "message": {"type": ["string", "null"]},
                            },
                        },
                    },
                },
                "Problem": {
                    "type": "object",
                    "required": ["type", "title", "status"],
                    "properties": {
                        "type": {"type": "string"},
                        "title": {"type": "string"},
                        "status": {"type": "integer"},
                        "detail": {"type": "string"},
                        "errors": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "required": ["field", "detail"],
                                "properties": {
                                    "field": {"type": "string"},
                                    "detail": {"type": "string"},
                                },
                            },
                        },
                    },
                },
            },
        },
    }
