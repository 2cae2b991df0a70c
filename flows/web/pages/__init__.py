"""Server-rendered pages: the units' portal (``portal.py``; its session and CSRF in ``session.py``).

Templates are in ``flows/web/templates/``, vendored static files in ``flows/web/static/``.
"""
