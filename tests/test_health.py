"""Liveness and readiness probes."""


def test_healthz_answers_without_touching_anything(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_readyz_is_ok_when_database_and_redis_answer(client):
    response = client.get("/readyz")

    assert response.status_code == 200
    assert response.get_json()["checks"] == {"database": "ok", "redis": "ok"}


def test_readyz_names_redis_when_it_is_unreachable(make_app):
    app = make_app(REDIS_URL="redis://127.0.0.1:1/0")

    response = app.test_client().get("/readyz")

    assert response.status_code == 503
    assert response.get_json()["failing"] == ["redis"]


def test_readyz_names_the_database_when_it_is_unreachable(make_app, tmp_path):
    url = f"sqlite:///{tmp_path}/missing/folder/db.sqlite3"
    app = make_app(SQLALCHEMY_DATABASE_URI=url)

    response = app.test_client().get("/readyz")

    assert response.status_code == 503
    assert response.get_json()["failing"] == ["database"]
