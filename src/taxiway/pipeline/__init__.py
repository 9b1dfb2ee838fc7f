"""Pipeline steps (curate, register, report), engine-agnostic."""
