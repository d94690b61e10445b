"""Accounting setups (regnskap, DESIGN.md §3.2): model, store, rules, and their binding to settlements."""
