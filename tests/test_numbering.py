"""Case numbers are unique and gap-free per jurisdiction and year (Haimen 四(三) 统一编号登记),
even when many cases are registered at once."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from portal.domain.models import Case, Jurisdiction
from portal.domain.numbering import next_seq
from tests import factories
from tests.conftest import IS_POSTGRES


def test_numbers_count_up_per_jurisdiction_and_year(db, world):
    a = factories.case(db.session, world.city)
    b = factories.case(db.session, world.city)
    other = factories.case(db.session, world.county)
    next_year = factories.case(db.session, world.city, at=datetime(2027, 1, 4, 2, tzinfo=UTC))
    db.session.commit()
    assert (a.seq, b.seq, other.seq, next_year.seq) == (1, 2, 1, 1)
    assert a.number == "445100-2026-00001"
    assert b.number == "445100-2026-00002"
    assert other.number == "445122-2026-00001"
    assert next_year.number == "445100-2027-00001"


def test_the_year_is_the_year_in_beijing(db, world):
    """A case received at 23:30 UTC on 31 December is received on 1 January in Beijing."""
    new_year = factories.case(db.session, world.city, at=datetime(2026, 12, 31, 23, 30, tzinfo=UTC))
    assert new_year.year == 2027


def test_a_rolled_back_registration_gives_its_number_back(db, world):
    factories.case(db.session, world.city)
    db.session.commit()
    factories.case(db.session, world.city)  # takes 2 …
    db.session.rollback()  # … and gives it back
    again = factories.case(db.session, world.city)
    db.session.commit()
    assert again.seq == 2


def test_concurrent_registrations_get_distinct_gap_free_numbers(app, db, world):
    """Many clerks register at the same moment: each case gets its own number, no number is
    skipped. On PostgreSQL the threads truly overlap; the counter's row lock queues them."""
    engine = db.engine
    city_id = world.city.id
    threads_n, per_thread = (12, 5) if IS_POSTGRES else (4, 5)
    errors: list[BaseException] = []
    barrier = threading.Barrier(threads_n)

    def clerk():
        try:
            barrier.wait()
            for _ in range(per_thread):
                with Session(engine) as session, session.begin():
                    city = session.get(Jurisdiction, city_id)
                    factories.case(session, city)
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=clerk) for _ in range(threads_n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    seqs = db.session.scalars(
        sa.select(Case.seq).where(Case.jurisdiction_id == city_id).order_by(Case.seq)
    ).all()
    assert seqs == list(range(1, threads_n * per_thread + 1))
    numbers = db.session.scalars(sa.select(Case.number)).all()
    assert len(numbers) == len(set(numbers))


def test_next_seq_alone_counts_from_one(db, world):
    assert next_seq(db.session, world.county.id, 2030) == 1
    assert next_seq(db.session, world.county.id, 2030) == 2
    assert next_seq(db.session, world.city.id, 2030) == 1
