"""FHIR rendering: plain-dict builders for R4 and R5, canonical URLs, Bundles."""
