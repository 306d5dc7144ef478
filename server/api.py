"""Service API: health, graph list, scenario classification and SHACL validation (JSON)."""

from __future__ import annotations

from flask import Blueprint, Flask, current_app, jsonify

from concord_kg import __version__

__all__ = ["bp", "init_app"]

bp = Blueprint("api", __name__)


@bp.get("/health")
def health() -> object:
    """Say the service is up, which store it uses and how many graphs it holds (no query worker needed)."""
    backend = current_app.extensions["concord"]
    return jsonify(
        status="ok",
        version=__version__,
        store="embedded" if backend.embedded else current_app.config["ENDPOINT"],
        graphs=len(backend.graphs()),
    )


@bp.get("/api/graphs")
def graphs() -> object:
    """List the named graphs of the store."""
    return jsonify(graphs=current_app.extensions["concord"].graphs())


def init_app(app: Flask) -> None:
    """Register the API routes."""
    app.register_blueprint(bp)
