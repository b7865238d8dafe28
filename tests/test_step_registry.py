"""One declaration per step (issue 19 item 1): each step's rule and verb in the domain
(`workflow.STEPS`), each staff step's form, title and call in one web entry under the same
name, and words for every event a step writes. A step that lacks any part fails here."""

from __future__ import annotations

import inspect

from portal.domain import workflow
from portal.domain.models import EventAction, Role

STAFF = {r for r in Role if r.is_staff}


def test_every_step_declares_its_rule_and_verb():
    for name, step in workflow.STEPS.items():
        assert callable(step.verb), name
        assert step.verb.__module__ == workflow.__name__, name
        assert step.writes and all(isinstance(a, EventAction) for a in step.writes), name
        assert step.roles and step.states, name
        assert callable(step.relation), name
        assert step.when is None or callable(step.when), name
        # The verb checks its own step before anything else (rule, then change).
        assert f'"{name}"' in inspect.getsource(step.verb) or name == "rate", name


def test_every_staff_step_has_its_web_entry_and_no_other(app):
    from portal.blueprints.cases.steps import STAFF_STEPS, StepForm

    staff_steps = {n for n, s in workflow.STEPS.items() if s.roles & STAFF}
    assert set(STAFF_STEPS) == staff_steps
    with app.test_request_context("/"):
        for name, entry in STAFF_STEPS.items():
            assert issubclass(entry.form, StepForm), name
            assert str(entry.title).strip(), name
            assert callable(entry.take), name


def test_every_event_has_words_on_the_timeline(app):
    from portal.web.labels import EVENT_LABELS

    assert set(EVENT_LABELS) == set(EventAction)
    written = {a for step in workflow.STEPS.values() for a in step.writes}
    assert written <= set(EVENT_LABELS)
    with app.test_request_context("/"):
        assert all(str(label).strip() for label in EVENT_LABELS.values())


def test_stored_words_do_not_change():
    """The enums' values are the strings already in the database (no data migration)."""
    assert EventAction("publish_reply") is EventAction.PUBLISH_REPLY
    assert {a.value for a in EventAction} >= {"register", "return", "overdue", "publish_reply"}
    assert all(a.value == a.name.lower() for a in EventAction)
