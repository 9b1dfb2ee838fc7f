"""``taxiway migrate oracle``: Oracle SQL tasks -> Athena tasks, where the meaning is kept.

Layout: :mod:`.statements` splits SQL text (PL/SQL kept whole, Jinja masked);
:mod:`.convert` turns one statement into Athena SQL with sqlglot plus taxiway's rules
(:mod:`.selects` for ROWNUM, DUAL and ``(+)`` joins, :mod:`.functions` for functions and
literals), or refuses it naming the construct and line; :mod:`.connections` reads connection
types; :mod:`.discovery` finds Oracle tasks in DAG files (libcst); :mod:`.rewrite` rewrites
them into ``AthenaOperator`` calls; :mod:`.runner` walks a project and writes. sqlglot and
libcst are imported by these modules only, never by the CLI at start-up.
"""

from __future__ import annotations
