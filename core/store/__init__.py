"""Persistence: SQLAlchemy 2 async on SQLite (embedded) or PostgreSQL (scaled out)."""
