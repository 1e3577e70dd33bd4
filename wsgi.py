"""Entry point for gunicorn and the flask command: `flask --app wsgi ...`."""

from dotenv import load_dotenv

load_dotenv()

from app import create_app  # noqa: E402 - .env must be read first

app = create_app()
