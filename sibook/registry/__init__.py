"""The registry: persons, relations, contacts, households, employers, HI cards.

Groups 1-3, 5 and 7 of the National Database on Insurance.
"""
