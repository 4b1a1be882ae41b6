"""Database plumbing: base classes, engines and sessions, migrations, job leases."""
