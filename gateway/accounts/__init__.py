"""Accounting setups (regnskap): model, store, rules, and their binding to settlements."""
