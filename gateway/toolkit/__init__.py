"""The integration engineer's toolkit: map a message in memory, preview it with its trace, run the
golden samples, check the mapping files. Used by the CLI (``nordgate map``, ``test-mappings``,
``check-mappings``) and the playground; it builds what it runs through ``gateway.bootstrap``."""
