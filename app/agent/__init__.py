"""Contact-centre agents: register callers and help them with their entry."""
