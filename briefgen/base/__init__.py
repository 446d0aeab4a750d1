"""The ground layer: errors, the model's dataclasses, number/date/id parsing, units, locale formatting, terminal and file output, caches, logs."""
