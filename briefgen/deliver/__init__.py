"""A built edition → readers: frozen editions, the ledger, email messages, SMTP, workers, the weekly schedule."""
