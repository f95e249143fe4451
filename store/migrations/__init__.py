"""Alembic migrations of the intake schema."""
