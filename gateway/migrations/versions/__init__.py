"""Schema revisions, oldest first. A revision is frozen once released: never edit one, add the next."""
