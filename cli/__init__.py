"""The `crm` command, the top of the code: it starts the API and the workers and runs the
operator's commands (seed, import), so it may import every layer and none may import it.
The bottom it stands on — settings, database, Redis, queues, logs — is `crm/`."""
