"""Fixtures of the campaign tests: a test module imports them all with

    from tests.centre.fixtures import ctx_fixture, links_fixture, service_fixture

(the functions carry other names than the fixtures, so that test arguments
do not shadow the imports)."""

import pytest

from app.centre.links import campaign_links
from app.extensions import db
from app.queue import QUEUE_NAMES, get_queue
from tests.centre import builders


@pytest.fixture(name="ctx")
def ctx_fixture(app):
    """An app context whose session the services and the test share."""
    with app.app_context():
        _empty_queues()
        yield app
        db.session.remove()
        _empty_queues()


def _empty_queues():
    for name in QUEUE_NAMES:
        queue = get_queue(name)
        queue.empty()
        registry = queue.scheduled_job_registry
        for job_id in registry.get_job_ids():
            registry.remove(job_id, delete_job=True)


@pytest.fixture(name="service")
def service_fixture(vcdb):
    with builders.service(vcdb) as client:
        yield client


@pytest.fixture(name="links")
def links_fixture(ctx):
    return campaign_links()
