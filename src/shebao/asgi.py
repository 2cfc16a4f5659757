"""ASGI entry point for `shebao serve` (and any ASGI server): `shebao.asgi:app`, warmed before it serves."""

from shebao.app import create_app, warm

app = create_app()
warm(app)
