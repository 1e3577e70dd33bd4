"""GET /metrics: Prometheus text behind a bearer token."""

import pytest

from app.extensions import db

TOKEN = "a-long-random-metrics-token"


@pytest.fixture
def metrics_app(make_app):
    built = make_app(METRICS_TOKEN=TOKEN)
    yield built
    with built.app_context():
        db.engine.dispose()


def test_without_a_configured_token_the_endpoint_does_not_exist(client):
    assert client.get("/metrics").status_code == 404
    assert (
        client.get("/metrics", headers={"Authorization": "Bearer x"}).status_code == 404
    )


@pytest.mark.parametrize(
    "header", [None, "Bearer wrong", f"Basic {TOKEN}", f"Bearer {TOKEN}x", "Bearer "]
)
def test_a_missing_or_wrong_token_is_refused(metrics_app, header):
    headers = {"Authorization": header} if header else {}

    response = metrics_app.test_client().get("/metrics", headers=headers)

    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_the_right_token_gets_the_figures(metrics_app, data):
    client = metrics_app.test_client()
    client.get("/healthz")

    response = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})

    assert response.status_code == 200
    assert response.mimetype == "text/plain"
    text = response.get_data(as_text=True)
    lines = set(text.splitlines())
    assert 'lmb_component_up{component="database"} 1.0' in lines
    assert 'lmb_component_up{component="redis"} 1.0' in lines
    assert "lmb_people_on_list 14.0" in lines
    assert "lmb_doses_booked 8.0" in lines
    assert "lmb_centres_taking_part 2.0" in lines
    assert 'lmb_outbox_messages{state="failed"} 0.0' in lines
    assert any(
        line.startswith("lmb_http_request_duration_seconds_count{")
        and 'route="/healthz"' in line
        for line in lines
    )
    assert "ssin" not in text and "@" not in text
