"""Devices: HTTP handlers."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["Devices"])
