"""Benchmarks of the service, each against a baseline measured in the same run (`python -m bench NAME`)."""
