"""CSRF protection for every form posted from a page (Flask-WTF)."""

from flask_wtf.csrf import CSRFProtect

csrf = CSRFProtect()
