"""Persistence: SQLModel tables, queries and aggregations. Knows no messenger."""
