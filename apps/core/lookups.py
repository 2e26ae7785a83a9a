"""`<id field>__any_of=[...]`: `__in` with the ids as one parameter on PostgreSQL.

Django writes `id IN (%s, %s, ...)`, one parameter per id, each prepared and placed on its
own: a search page filters by the 200 to 500 ids of its ranked window, and compiling that
list took 0.6 ms of CPU for 200 ids, then psycopg split the statement anew (it caches the
split of statements with at most 50 parameters). PostgreSQL reads `IN (...)` as
`= ANY(array)` either way; here it is written so, with the ids as one array parameter.
Other databases get `__in` as it is.
"""

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db.models import BigAutoField, BigIntegerField
from django.db.models.lookups import In


def bigint_array(ids: Iterable[int]) -> str:
    """`ids` as the text of a PostgreSQL array, for one `%s::bigint[]` parameter."""
    return "{" + ",".join(str(int(pk)) for pk in ids) + "}"


class AnyOf(In):
    lookup_name = "any_of"

    def as_postgresql(self, compiler: Any, connection: Any) -> tuple[str, tuple]:
        if not self.rhs_is_direct_value():
            return super().as_sql(compiler, connection)
        ids = [int(value) for value in self.rhs if value is not None]
        if not ids:
            raise EmptyResultSet
        lhs, lhs_params = self.process_lhs(compiler, connection)
        return f"{lhs} = ANY(%s::bigint[])", (*lhs_params, bigint_array(ids))


def register_lookups() -> None:
    for field in (BigAutoField, BigIntegerField):
        field.register_lookup(AnyOf)
