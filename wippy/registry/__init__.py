"""The load pipeline: lock file -> YAML with lines -> entries -> overrides -> config decode -> graph -> plan."""
