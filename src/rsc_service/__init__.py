"""rsc-service: LinkedIn Recruiter System Connect beside an existing ATS."""

__version__ = "0.1.0"
