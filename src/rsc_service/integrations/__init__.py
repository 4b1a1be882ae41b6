"""Outside systems; these packages import nothing else from rsc_service."""
