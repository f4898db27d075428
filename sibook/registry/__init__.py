"""The registry: persons, relations, contacts, households, employers, HI cards (groups 1-3, 5, 7)."""
