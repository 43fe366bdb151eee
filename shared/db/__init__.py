"""The asyncpg pool, named queries and migrations."""
