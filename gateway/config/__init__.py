"""Configuration: the validated settings of a running gateway and the shapes of its security settings."""
