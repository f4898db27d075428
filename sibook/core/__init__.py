"""Shared plumbing: settings, database engine and unit of work, errors, Period, money."""
