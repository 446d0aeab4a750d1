"""Files → validated inputs: data tables, facts, brief specs, readers, SMTP settings, fact snapshots."""
