"""Run results: the time axis and every variable, as arrays, CSV, records or a DataFrame.

>>> import numpy as np
>>> r = SimulationResult(np.array([0.0, 1.0]), ["a"], np.array([[1.0], [2.0]]))
>>> r["a"].tolist(), r.to_records()
([1.0, 2.0], [{'time': 0.0, 'a': 1.0}, {'time': 1.0, 'a': 2.0}])
>>> print(r.to_csv(), end="")
time,a
0,1
1,2
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import IO, Any

import numpy as np

PERCENTILES = (5, 25, 50, 75, 95)


def _number(x: float) -> str:
    """Shortest text that reads back as the same float (2.0 -> '2')."""
    if x == int(x) and abs(x) < 1e16:
        return str(int(x))
    return repr(float(x))


def _write(text: str, path_or_buffer: str | Path | IO[str] | None) -> str | None:
    if path_or_buffer is None:
        return text
    if hasattr(path_or_buffer, "write"):
        path_or_buffer.write(text)
        return None
    from loopdsl.files import atomic_write

    atomic_write(path_or_buffer, text)
    return None


Meta = tuple[dict[str, str], dict[str, "str | None"], dict[str, str]]


def _made_on_first_read(attribute: str, doc: str) -> property:
    """A property reading ``attribute``, filled by ``_fill()`` when still None."""

    def get(self: _Described) -> Any:
        if getattr(self, attribute) is None:
            self._fill()
        return getattr(self, attribute)

    def put(self: _Described, value: Any) -> None:
        setattr(self, attribute, value)

    return property(get, put, doc=doc)


class _Described:
    """What a single run and an ensemble both carry: the series and their labels; the
    labels, units and kinds of the variables are made when first read."""

    def __init__(self, time: np.ndarray, names: Sequence[str], data: np.ndarray,
                 labels: dict[str, str] | None, units: dict[str, str | None] | None,
                 warnings: Sequence[str], scenario: str | None, title: str | None,
                 time_unit: str | None, method: str, dt: float,
                 kinds: dict[str, str] | None, meta: Callable[[], Meta] | None = None) -> None:
        """``meta``, when given, makes the labels, units and kinds not given on first use
        (reading them from a big model's node objects costs more than the run's results).
        """
        self.time = time
        self.names = list(names)
        self._column = {n: k for k, n in enumerate(self.names)}
        self.data = data
        self._meta = meta
        self._labels: dict[str, str] | None = labels or None
        self._units = units
        self._kinds = kinds
        self.warnings = list(warnings)
        self.scenario = scenario
        self.title = title
        self.time_unit = time_unit
        self.method = method
        self.dt = dt

    def _fill(self) -> None:
        made: Meta = self._meta() if self._meta is not None else ({}, {}, {})
        self._meta = None
        if self._labels is None:
            self._labels = made[0] or {n: n for n in self.names}
        if self._units is None:
            self._units = made[1]
        if self._kinds is None:
            self._kinds = made[2]

    labels = _made_on_first_read("_labels", "Each variable's display label (its identifier "
                                 "when it has none).")
    units = _made_on_first_read("_units", "Each variable's unit, where the model gives one.")
    kinds = _made_on_first_read("_kinds", "Each variable's kind: stock, flow, aux, const or "
                                "node.")


class SimulationResult(_Described):
    """One run: ``time`` and, for each variable identifier, its values at each time.

    Attributes: ``time`` (numpy array), ``names`` (identifiers in model order),
    ``labels`` and ``units`` (by identifier), ``warnings`` (defaults that were used),
    ``scenario`` (its id, or None for the base run), ``method`` and ``dt``.
    """

    def __init__(self, time: np.ndarray, names: Sequence[str], data: np.ndarray,
                 labels: dict[str, str] | None = None, units: dict[str, str | None] | None = None,
                 warnings: Sequence[str] = (), scenario: str | None = None,
                 title: str | None = None, time_unit: str | None = None,
                 method: str = "euler", dt: float = 1.0, kinds: dict[str, str] | None = None,
                 meta: Callable[[], Meta] | None = None):
        super().__init__(time, names, data, labels, units, warnings, scenario, title,
                         time_unit, method, dt, kinds, meta)  # data: (times, variables)

    def __getitem__(self, name: str) -> np.ndarray:
        if name.lower() == "time" and name not in self._column:
            return self.time
        try:
            return self.data[:, self._column[name]]
        except KeyError:
            from loopdsl.errors import did_you_mean

            hint = did_you_mean(name, self.names)
            raise KeyError(f"no variable '{name}'" + (f"; {hint}" if hint else "")) from None

    def __contains__(self, name: str) -> bool:
        return name in self._column

    def __len__(self) -> int:
        return len(self.time)

    def __repr__(self) -> str:
        return (f"<SimulationResult {len(self.names)} variables x {len(self.time)} times"
                + (f", scenario {self.scenario}" if self.scenario else "") + ">")

    def select(self, names: Sequence[str]) -> SimulationResult:
        """The same result restricted to some variables."""
        for n in names:
            self[n]
        cols = [self._column[n] for n in names]
        return SimulationResult(self.time, names, self.data[:, cols], self._labels,
                                self._units, self.warnings, self.scenario, self.title,
                                self.time_unit, self.method, self.dt, self._kinds, self._meta)

    def to_csv(self, path_or_buffer: str | Path | IO[str] | None = None) -> str | None:
        """CSV with a ``time`` column then one column per variable; returns the text when
        no path or buffer is given."""
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["time", *self.names])
        for k, t in enumerate(self.time):
            writer.writerow([_number(t)] + [_number(v) for v in self.data[k]])
        return _write(out.getvalue(), path_or_buffer)

    def to_records(self) -> list[dict[str, float]]:
        """One dict per time: ``{"time": t, name: value, ...}``."""
        rows = []
        for k, t in enumerate(self.time):
            row = {"time": float(t)}
            row.update(zip(self.names, (float(v) for v in self.data[k])))
            rows.append(row)
        return rows

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: time, variables (lists), labels, units, warnings, scenario."""
        return {"scenario": self.scenario, "method": self.method, "dt": self.dt,
                "time_unit": self.time_unit, "time": self.time.tolist(),
                "variables": {n: self.data[:, k].tolist() for k, n in enumerate(self.names)},
                "labels": {n: self.labels.get(n, n) for n in self.names},
                "units": {n: self.units.get(n) for n in self.names},
                "warnings": self.warnings}

    def to_dataframe(self) -> Any:
        """A pandas DataFrame indexed by time (pandas must be installed)."""
        try:
            import pandas as pd
        except ImportError:
            from loopdsl.errors import LoopError

            raise LoopError("to_dataframe needs pandas: pip install pandas") from None
        frame = pd.DataFrame(self.data, columns=self.names, index=pd.Index(self.time,
                                                                           name="time"))
        return frame


class EnsembleResult(_Described):
    """Many runs at once: ``result[name]`` is (times x runs); percentiles per time."""

    def __init__(self, time: np.ndarray, names: Sequence[str], data: np.ndarray,
                 labels: dict[str, str] | None = None, units: dict[str, str | None] | None = None,
                 warnings: Sequence[str] = (), scenario: str | None = None,
                 title: str | None = None, time_unit: str | None = None,
                 parameters: dict[str, np.ndarray] | None = None, seed: int | None = None,
                 method: str = "euler", dt: float = 1.0, kinds: dict[str, str] | None = None,
                 meta: Callable[[], Meta] | None = None):
        super().__init__(time, names, data, labels, units, warnings, scenario, title,
                         time_unit, method, dt, kinds, meta)  # data: (times, variables, runs)
        self.parameters = parameters or {}
        self.seed = seed

    @property
    def runs(self) -> int:
        return self.data.shape[2]

    def __getitem__(self, name: str) -> np.ndarray:
        if name not in self._column:
            raise KeyError(f"no variable '{name}'")
        return self.data[:, self._column[name], :]

    def __repr__(self) -> str:
        return f"<EnsembleResult {self.runs} runs, {len(self.names)} variables>"

    def run(self, k: int) -> SimulationResult:
        """Run k alone."""
        return SimulationResult(self.time, self.names, self.data[:, :, k], self._labels,
                                self._units, self.warnings, self.scenario, self.title,
                                self.time_unit, self.method, self.dt, self._kinds, self._meta)

    def percentiles(self, name: str, qs: Sequence[float] = PERCENTILES) -> dict[float, np.ndarray]:
        """Per-time percentiles of one variable across runs."""
        values = np.percentile(self[name], list(qs), axis=1)
        return {q: values[k] for k, q in enumerate(qs)}

    def mean(self, name: str) -> np.ndarray:
        return self[name].mean(axis=1)

    def to_csv(self, path_or_buffer: str | Path | IO[str] | None = None,
               qs: Sequence[float] = PERCENTILES) -> str | None:
        """The percentile table: ``time``, then ``name_p5``, ``name_p25``... per variable."""
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        header = ["time"]
        columns = []
        for name in self.names:
            table = np.percentile(self[name], list(qs), axis=1)
            for k, q in enumerate(qs):
                header.append(f"{name}_p{_number(q)}")
                columns.append(table[k])
            header.append(f"{name}_mean")
            columns.append(self.mean(name))
        writer.writerow(header)
        for i, t in enumerate(self.time):
            writer.writerow([_number(t)] + [_number(c[i]) for c in columns])
        return _write(out.getvalue(), path_or_buffer)

    def to_records(self, qs: Sequence[float] = PERCENTILES) -> list[dict[str, float]]:
        text = self.to_csv(qs=qs)
        assert text is not None
        reader = csv.DictReader(io.StringIO(text))
        return [{k: float(v) for k, v in row.items()} for row in reader]

    def to_dict(self, qs: Sequence[float] = PERCENTILES) -> dict[str, Any]:
        return {"scenario": self.scenario, "runs": self.runs, "seed": self.seed,
                "time": self.time.tolist(),
                "percentiles": {n: {f"p{_number(q)}": v.tolist() for q, v in
                                    self.percentiles(n, qs).items()} for n in self.names},
                "mean": {n: self.mean(n).tolist() for n in self.names},
                "parameters": {k: v.tolist() for k, v in self.parameters.items()},
                "warnings": self.warnings}

    def to_dataframe(self) -> Any:
        """Long format: time, run, then one column per variable (pandas must be installed)."""
        try:
            import pandas as pd
        except ImportError:
            from loopdsl.errors import LoopError

            raise LoopError("to_dataframe needs pandas: pip install pandas") from None
        T, V, R = self.data.shape
        frame = pd.DataFrame(self.data.transpose(2, 0, 1).reshape(R * T, V), columns=self.names)
        frame.insert(0, "run", np.repeat(np.arange(R), T))
        frame.insert(0, "time", np.tile(self.time, R))
        return frame
