"""The entry point for production WSGI servers: `gunicorn -w 2 'web.wsgi:app'`.

Each worker builds the app, then tunes the garbage collector for a long-running process
(engine.gc_tuning)."""
from engine.gc_tuning import tune_for_service
from web import create_app

app = create_app()
tune_for_service()
