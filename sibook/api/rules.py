"""Placeholder: filled in by the rules work."""

from fastapi import APIRouter

router = APIRouter(prefix="/rules", tags=["rules"])
