"""Durable state in SQL (SQLAlchemy Core, SQLite or PostgreSQL): schema, migrations, engines
and the queries the orchestration layer composes. The only package that imports SQLAlchemy."""
