"""A fake ATS that honours openapi/ats-api.yaml: API, signed webhooks, seed data and `/_sim` controls."""
