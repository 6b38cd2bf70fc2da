"""Alembic's environment: which database to migrate.

Called by ``Store.upgrade`` with the engine in ``config.attributes["engine"]``, or by
the ``alembic`` command, which reads PICKGRAPH_DATABASE_URL (else the default SQLite
file) the way the site does.
"""

from __future__ import annotations

from alembic import context

from pickgraph.web.settings import database_url
from pickgraph.web.store import make_engine

config = context.config
engine = config.attributes.get("engine") or make_engine(database_url())

with engine.begin() as connection:
    context.configure(connection=connection, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()
