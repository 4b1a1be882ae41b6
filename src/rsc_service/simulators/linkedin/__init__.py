"""LinkedIn Recruiter System Connect simulator: Rest.li API, OAuth, push notifications, `/_sim` controls."""
