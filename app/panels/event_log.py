"""The table of recent events, filterable by actor and kind, bounded in memory."""
from __future__ import annotations

from collections import deque
from operator import itemgetter
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QSortFilterProxyModel, Qt, Signal
from PySide6.QtWidgets import QCheckBox, QComboBox, QHBoxLayout, QHeaderView, QLabel, QTableView, QVBoxLayout, QWidget

from core.analysis.units import SECONDS, TimeUnit
from core.events import KINDS, STEP_GRANT, STEP_READY, Event, describe_item

#: Events kept for the table; older ones drop off the top.
LOG_ROWS = 5000
COLUMNS = ("seq", "time", "actor", "kind", "item", "depth", "unfinished")
TIME_COLUMN, ACTOR_COLUMN, ITEM_COLUMN, DEPTH_COLUMN, UNFINISHED_COLUMN = 1, 2, 4, 5, 6
#: The gate events of step mode, hidden from the log unless asked for.
STEP_KINDS = frozenset({STEP_READY, STEP_GRANT})
#: The actor column widens to the longest name up to this; longer names are cut in the middle
#: with "…", their whole name in the cell's tooltip.
MAX_ACTOR_COLUMN_PX = 300
ALL = "all"
_actor_of = itemgetter(3)


#: The root of a flat table: its rows have no parent.
_NO_PARENT = QModelIndex()


class EventLogModel(QAbstractTableModel):
    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._rows: deque[Event] = deque(maxlen=LOG_ROWS)
        #: What the events' times count (a stepped run's are steps).
        self.unit: TimeUnit = SECONDS

    def rowCount(self, parent: QModelIndex = _NO_PARENT) -> int:  # noqa: N802 (Qt's name)
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: QModelIndex = _NO_PARENT) -> int:  # noqa: N802
        return len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:  # noqa: N802
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return self.unit.column if section == TIME_COLUMN else COLUMNS[section]
        return None

    def data(self, index: QModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        column = index.column()
        if role == Qt.ItemDataRole.ToolTipRole and column in (ACTOR_COLUMN, ITEM_COLUMN):
            return self.data(index)  # a name or an item cut short shows whole here
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        event = self._rows[index.row()]
        if column == 0:
            return event.seq
        if column == TIME_COLUMN:
            return self.unit.cell(event.t)
        if column == 2:
            return event.actor
        if column == 3:
            return event.kind
        if column == 4:
            if event.kind == "error":
                return event.error
            if event.kind == "actor_exit":
                return f"exit code {event.exitcode}"
            if event.queue is None and event.kind in ("join_enter", "join_return"):
                return f"process {event.item}"
            return "" if event.item is None and event.kind not in ("put", "get") else describe_item(event.item)
        if column == 5:
            return "" if event.depth is None else event.depth
        return "" if event.unfinished is None else event.unfinished

    def event_at(self, row: int) -> Event:
        return self._rows[row]

    def append(self, events: list[Event]) -> None:
        if not events:
            return
        events = events[-LOG_ROWS:]
        overflow = len(self._rows) + len(events) - LOG_ROWS
        if overflow > 0:
            self.beginRemoveRows(QModelIndex(), 0, overflow - 1)
            for _ in range(overflow):
                self._rows.popleft()
            self.endRemoveRows()
        start = len(self._rows)
        self.beginInsertRows(QModelIndex(), start, start + len(events) - 1)
        self._rows.extend(events)
        self.endInsertRows()

    def clear(self, unit: TimeUnit = SECONDS) -> None:
        self.beginResetModel()
        self._rows.clear()
        self.unit = unit
        self.endResetModel()
        self.headerDataChanged.emit(Qt.Orientation.Horizontal, TIME_COLUMN, TIME_COLUMN)


class _EventFilter(QSortFilterProxyModel):
    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.actor = ALL
        self.kind = ALL
        self.hidden: frozenset[str] = frozenset()

    def filterAcceptsRow(self, row: int, parent: QModelIndex) -> bool:  # noqa: N802
        event = self.sourceModel().event_at(row)
        return (self.actor == ALL or event.actor == self.actor) and (self.kind == ALL or event.kind == self.kind) \
            and event.kind not in self.hidden

    def set_filter(self, actor: str, kind: str, hidden: frozenset[str]) -> None:
        if hasattr(self, "beginFilterChange"):  # Qt >= 6.10
            self.beginFilterChange()
            self.actor, self.kind, self.hidden = actor, kind, hidden
            self.endFilterChange(QSortFilterProxyModel.Direction.Rows)
        else:
            self.actor, self.kind, self.hidden = actor, kind, hidden
            self.invalidateFilter()


class EventLog(QWidget):
    #: The user picked a row: its event (the window marks its moment on the plots).
    event_picked = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = EventLogModel(self)
        #: Set while a filter is on; unfiltered, the table reads the model directly
        #: (a proxy calls Python for every row that arrives).
        self.proxy: _EventFilter | None = None
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.verticalHeader().setVisible(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        # The item takes what room there is: the counts at the right stay in view in a narrow window.
        header.setSectionResizeMode(ITEM_COLUMN, QHeaderView.ResizeMode.Stretch)
        digits = self.table.fontMetrics().horizontalAdvance("0000000")
        for column in (0, TIME_COLUMN):
            self.table.setColumnWidth(column, digits)
        for column in (DEPTH_COLUMN, UNFINISHED_COLUMN):
            self.table.setColumnWidth(column, self.table.fontMetrics().horizontalAdvance(COLUMNS[column]) + 24)
        self.table.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.table.setAlternatingRowColors(True)
        self.table.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QTableView.SelectionMode.SingleSelection)
        self.table.clicked.connect(self._on_clicked)
        self.actor_filter = QComboBox()
        self.actor_filter.addItem(ALL)
        self.kind_filter = QComboBox()
        self.kind_filter.addItems([ALL, *sorted(KINDS)])
        for box in (self.actor_filter, self.kind_filter):
            box.currentTextChanged.connect(self._on_filter_changed)
        #: Step mode's gate events (an actor paused before an operation, let through): two rows a
        #: step, hidden unless asked for.
        self.gates = QCheckBox("step gates")
        self.gates.setToolTip("Show the step_ready and step_grant rows: each actor pausing before an operation "
                              "and being let through")
        self.gates.toggled.connect(self._on_filter_changed)
        self.gates.hide()
        top = QHBoxLayout()
        top.addWidget(QLabel("Event log — actor:"))
        top.addWidget(self.actor_filter)
        top.addWidget(QLabel("kind:"))
        top.addWidget(self.kind_filter)
        top.addWidget(self.gates)
        top.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.table)

    def append(self, events: list[Event]) -> None:
        known = {self.actor_filter.itemText(i) for i in range(self.actor_filter.count())}
        new = sorted(set(map(_actor_of, events)) - known)
        for actor in new:
            self.actor_filter.addItem(actor)
        if new:
            self._fit_actor_column(new)
        at_bottom = self.table.verticalScrollBar().value() >= self.table.verticalScrollBar().maximum() - 2
        self.model.append(events)
        if at_bottom:
            self.table.scrollToBottom()

    def _on_clicked(self, index: QModelIndex) -> None:
        row = self.proxy.mapToSource(index).row() if self.proxy is not None else index.row()
        self.event_picked.emit(self.model.event_at(row))

    def select_nearest(self, t: float) -> Event | None:
        """Select (and show) the event nearest to ``t`` among those the table holds and shows."""
        shown = self.proxy if self.proxy is not None else self.model
        best: tuple[float, int] | None = None
        for row in range(shown.rowCount()):
            source = self.proxy.mapToSource(self.proxy.index(row, 0)).row() if self.proxy is not None else row
            distance = abs(self.model.event_at(source).t - t)
            if best is None or distance < best[0]:
                best = (distance, row)
        if best is None:
            return None
        index = shown.index(best[1], 0)
        self.table.selectRow(best[1])
        self.table.scrollTo(index)
        source = self.proxy.mapToSource(index).row() if self.proxy is not None else best[1]
        return self.model.event_at(source)

    def _fit_actor_column(self, names: list[str]) -> None:
        """Widen the actor column for the longest name (``SyncManager-1/ForkPoolWorker-2``), up to a limit."""
        metrics = self.table.fontMetrics()
        wanted = max(metrics.horizontalAdvance(name) for name in names) + 2 * metrics.averageCharWidth()
        if wanted > self.table.columnWidth(ACTOR_COLUMN):
            self.table.setColumnWidth(ACTOR_COLUMN, min(wanted, MAX_ACTOR_COLUMN_PX))

    def clear(self, unit: TimeUnit = SECONDS) -> None:
        """Empty the table for a run whose times count ``unit``."""
        self.model.clear(unit)
        self.gates.setVisible(unit.stepped)
        self.actor_filter.blockSignals(True)
        self.actor_filter.clear()
        self.actor_filter.addItem(ALL)
        self.actor_filter.blockSignals(False)
        self._on_filter_changed()

    def _on_filter_changed(self) -> None:
        actor, kind = self.actor_filter.currentText(), self.kind_filter.currentText()
        hidden = STEP_KINDS if self.model.unit.stepped and not self.gates.isChecked() else frozenset()
        if actor == ALL and kind == ALL and not hidden:
            if self.proxy is not None:
                self.table.setModel(self.model)
                self.proxy.deleteLater()
                self.proxy = None
            return
        if self.proxy is None:
            self.proxy = _EventFilter(self)
            self.proxy.setSourceModel(self.model)
            self.table.setModel(self.proxy)
        self.proxy.set_filter(actor, kind, hidden)
