"""ASGI entry point for `shebao serve` (and any ASGI server): `shebao.asgi:app`."""

from shebao.app import create_app

app = create_app()
