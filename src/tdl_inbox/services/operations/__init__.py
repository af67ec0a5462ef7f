"""Operations: what the daemon is doing and whether a configuration can do its job."""
