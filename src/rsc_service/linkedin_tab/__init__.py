"""The LinkedIn tab of an ATS candidate (R3, R4): what the ATS needs to embed LinkedIn's profile widget for
one of its users, and what a seat holder gets beside it (docs/in-ats.md#the-linkedin-tab)."""
