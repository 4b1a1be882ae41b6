"""Bundled stand-ins for LinkedIn and the ATS; they import nothing else from rsc_service."""
