"""arq workers: thin job functions over the domain, one WorkerSettings per queue."""
