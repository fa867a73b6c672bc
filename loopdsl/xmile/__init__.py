"""XMILE in and out: read .xmile/.stmx files into models, write models as XMILE.

>>> m = loads_xmile('<xmile xmlns="http://docs.oasis-open.org/xmile/ns/XMILE/v1.0">'
...                 '<model><aux name="x"><eqn>2 * 3</eqn></aux></model></xmile>')
>>> m.node("x").kind
'const'
>>> again = loads_xmile(dumps_xmile(m))
>>> again.content() == m.content()
True
"""

from loopdsl.xmile.reader import load_xmile, loads_xmile
from loopdsl.xmile.writer import dump_xmile, dumps_xmile

__all__ = ["load_xmile", "loads_xmile", "dumps_xmile", "dump_xmile"]
