"""LeadSquared's API: the HTTP client and the classification of its answers; no AWS here."""
