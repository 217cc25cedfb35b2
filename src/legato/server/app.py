"""The FastAPI application factory: the REST API under /api/v1 over any Backend (the server
wraps a LocalBackend), with problem+json errors and a request body size limit."""

from __future__ import annotations

from pathlib import Path

from fastapi import Depends, FastAPI

from legato._clock import SYSTEM_CLOCK, Clock
from legato.core.backend import Backend
from legato.orchestration.accounts import AccountService
from legato.orchestration.local import LocalBackend
from legato.schemas.api import API_PREFIX
from legato.server.auth import admin as admin_routes
from legato.server.auth import routes as auth_routes
from legato.server.auth.gate import AuthMiddleware, AuthState, authorize
from legato.server.auth.throttle import LoginThrottle
from legato.server.idempotency import IdempotencyCache
from legato.server.limits import DEFAULT_MAX_BODY_BYTES, BodySizeLimit
from legato.server.params import PROBLEMS
from legato.server.problems import install_problem_handlers
from legato.server.routes import (
    cache,
    deployments,
    events,
    flows,
    health,
    notifications,
    overview,
    run_actions,
    run_data,
    schedule_words,
    triggers,
    views,
)
from legato.server.routes.limits import router as limits_router
from legato.server.routes.pauses import router as pauses_router
from legato.server.routes.sync import router as sync_router
from legato.server.routes.task_slots import router as task_slots_router
from legato.server.routes.vault import router as vault_router
from legato.server.routes.workers import router as workers_router
from legato.server.routes.workflow_templates import router as templates_router
from legato.server.ui import STATIC_DIR, install_ui
from legato.store.database import Database


def create_app(
    backend: Backend,
    *,
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
    db: Database | None = None,
    clock: Clock | None = None,
    ui_dir: Path | None = STATIC_DIR,
    auth: bool = False,
) -> FastAPI:
    """The API application serving `backend`; closing the backend stays with the caller.
    Deployments need the database itself: `db`, or the LocalBackend's (else they answer 503).
    The web UI is served at / from `ui_dir` (None serves the API alone). With `auth`, every
    request needs credentials except the public paths of `server.auth.policy`, and each route
    needs the role the policy table gives it.

    >>> app = create_app(create_local_backend(Settings.from_env()))
    """
    app = FastAPI(
        title="Legato API",
        version="1",
        summary="Flow runs, task runs, state, logs and results of the Legato orchestrator.",
        openapi_url=f"{API_PREFIX}/openapi.json",
        docs_url=f"{API_PREFIX}/docs",
        redoc_url=None,
        swagger_ui_oauth2_redirect_url=None,
        # Every route checks its role in the policy table (deny by default).
        dependencies=[Depends(authorize)],
    )
    app.state.backend = backend
    app.state.idempotency = IdempotencyCache()
    local = backend if isinstance(backend, LocalBackend) else None
    app.state.db = db if db is not None else (local.db if local else None)
    app.state.clock = clock or (local.clock if local else SYSTEM_CLOCK)
    accounts = AccountService(app.state.db, app.state.clock) if app.state.db else None
    app.state.auth = AuthState(auth, accounts, LoginThrottle(app.state.clock), app.state.clock)
    # views first: its /flow-runs/compare must win over /flow-runs/{flow_run_id}.
    for router in (health.router, views.router, run_actions.router, overview.router,
                   schedule_words.router, flows.router, run_data.router, cache.router,
                   deployments.router, events.router, triggers.router, notifications.router):
        app.include_router(router, prefix=API_PREFIX, responses=PROBLEMS)
    app.include_router(workers_router, prefix=API_PREFIX, responses=PROBLEMS)
    app.include_router(pauses_router, prefix=API_PREFIX, responses=PROBLEMS)
    app.include_router(limits_router, prefix=API_PREFIX, responses=PROBLEMS)
    app.include_router(sync_router, prefix=API_PREFIX, responses=PROBLEMS)
    app.include_router(vault_router, prefix=API_PREFIX, responses=PROBLEMS)
    app.include_router(templates_router, prefix=API_PREFIX, responses=PROBLEMS)
    app.include_router(task_slots_router, prefix=API_PREFIX, responses=PROBLEMS)
    app.include_router(auth_routes.router, prefix=API_PREFIX, responses=PROBLEMS)
    app.include_router(admin_routes.router, prefix=API_PREFIX, responses=PROBLEMS)
    if ui_dir is not None:
        install_ui(app, ui_dir)
    install_problem_handlers(app)
    app.add_middleware(BodySizeLimit, max_bytes=max_body_bytes)
    # Added last, so outermost: a request without credentials is refused before anything
    # else reads it.
    app.add_middleware(AuthMiddleware)
    return app
