"""loopdsl: a modelling language for growth loops (flywheels).

The pipeline, one module per stage: :mod:`loopdsl.parser` (text -> parse
tree), :mod:`loopdsl.compiler` (tree -> typed :mod:`loopdsl.model`),
:mod:`loopdsl.normalize` (the nodes only links name), :mod:`loopdsl.checker`
(whole-model checks, read-only), :mod:`loopdsl.graph` (model -> networkx graph),
then analyses (:mod:`loopdsl.analysis`, :mod:`loopdsl.dominance`), simulation
(:mod:`loopdsl.simulate`) and exporters (:mod:`loopdsl.render`, :mod:`loopdsl.xmile`).

>>> import loopdsl
>>> m = loopdsl.loads("experience -> traffic -> sellers -> selection -> experience")
>>> sorted(m.graph.edges)[:2]
[('experience', 'traffic'), ('selection', 'experience')]
>>> loopdsl.dumps(m)
'experience -> traffic -> sellers -> selection -> experience\\n'
"""

from loopdsl.errors import Diagnostic, LoopError
from loopdsl.loader import load, loads
from loopdsl.model import Model
from loopdsl.printer import dumps

__all__ = ["load", "loads", "dumps", "Model", "LoopError", "Diagnostic"]
__version__ = "0.1.0"
