"""One-Click Export (R1): a recruiter's export from LinkedIn Recruiter becomes an ATS candidate on the job
chosen, or assigns the candidate already linked to the member (docs/exports.md)."""
