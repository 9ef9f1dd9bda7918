"""gunicorn settings for the Procfile's web process.

PORT and WEB_CONCURRENCY follow the platform conventions (Heroku, Dokku, Render); the bind
address comes from SEARCH_HOST. Workers are plain sync processes: each opens its own
long-lived index searcher after the fork, on its first request.
"""

import os

from search_service.web import server

server.install()  # gunicorn's own 4xx/5xx pages become JSON like the app's

bind = f"{os.environ.get('SEARCH_HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
worker_class = "sync"
timeout = 30
graceful_timeout = 20
keepalive = 5
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("SEARCH_LOG_LEVEL", "info")
