"""The WSGI entry point for gunicorn: `gunicorn service.wsgi:app`."""

from service import create_app

app = create_app()

# Every template compiled before the first request: with gunicorn's preload_app (as
# deploy/gunicorn.conf.py sets it) this happens once, in the master, and the workers it forks
# share the compiled templates instead of each compiling them on its first requests.
for name in app.jinja_env.list_templates():
    app.jinja_env.get_template(name)
