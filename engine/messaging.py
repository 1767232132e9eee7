"""Messages and signals between instances, and instances started by message, signal or timer.

A message goes to one receiver: the oldest running instance that waits for it and whose correlation
(SpiffWorkflow's correlation keys, or the instance named by the sender) matches; only when nobody waits
does it start the newest version of a process with that message start event. A signal goes to every
instance waiting for it and starts every process with that signal start event. What an instance throws
is routed in the same transaction as the step that threw it, and every delivery is audited on the
sender and on the receiver. The router finds receivers through the `event_wait` index, never by loading
instances that do not wait.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select

from .runtime import events, runner, schedule
from .directory import SYSTEM_USER
from .errors import Conflict, EventRefused, NotAllowed, NotFound
from .storage.models import EventWait, ProcessDefinition, ProcessInstance, ScheduledStart, StartTrigger
from .authoring.specs import dependencies_for, latest_definitions
from .storage.unit import Thrown, Unit

# A step may set off a chain of deliveries (A sends to B, B answers A...); past this many in one unit of
# work the rest are recorded as undelivered instead of running on without bound.
MAX_DELIVERIES = 200
SENDER_GROUPS = {"process_owner", "integration"}
ENGINE = "engine"


@dataclass(frozen=True)
class DeliveryView:
    """Where a message or signal went."""

    kind: str
    name: str
    delivered: tuple[int, ...] = ()
    started: tuple[int, ...] = ()


@dataclass(frozen=True)
class StartPlanView:
    """The start events of a process that are not started by hand, and its timer schedule."""

    triggers: tuple[tuple[str, str, str], ...] = ()  # (kind, message/signal name or timer value, bpmn id)
    next_at: datetime | None = None
    fired: int = 0
    remaining: int = 0  # timer starts still to come; -1 for ever


@dataclass
class _Route:
    delivered: list[int] = field(default_factory=list)
    started: list[int] = field(default_factory=list)


class EventVerbs:
    """send_message, broadcast_signal, and the worker's timer starts (mixed into Engine)."""

    # -- verbs ----------------------------------------------------------------------------------
    def send_message(self, name: str, user: str, payload: Any = None, correlations: dict | None = None,
                     instance_id: int | None = None, deliver_all: bool = False) -> DeliveryView:
        """Deliver a message from outside: to the waiting instance it correlates with, else start a
        process with that message start event. NotFound when nobody takes it."""
        def work(unit: Unit) -> DeliveryView:
            self._require_sender(unit, user)
            event = events.make_event(events.MESSAGE, name, payload, _correlations(correlations))
            route = self._deliver(unit, events.MESSAGE, name, event, origin={"by": user},
                                  instance_id=instance_id, deliver_all=deliver_all, strict=True)
            if not route.delivered and not route.started:
                target = f"instance {instance_id}" if instance_id else "any instance or process"
                raise NotFound(f"no {target} waits for message {name!r}", "no_receiver")
            return DeliveryView(events.MESSAGE, name, tuple(route.delivered), tuple(route.started))
        return self._unit(user, work)

    def broadcast_signal(self, name: str, user: str, payload: Any = None) -> DeliveryView:
        """Send a signal to every instance waiting for it and start every process it starts."""
        def work(unit: Unit) -> DeliveryView:
            self._require_sender(unit, user)
            event = events.make_event(events.SIGNAL, name, payload)
            route = self._deliver(unit, events.SIGNAL, name, event, origin={"by": user}, strict=True)
            return DeliveryView(events.SIGNAL, name, tuple(route.delivered), tuple(route.started))
        return self._unit(user, work)

    def waiting_for(self, instance_id: int) -> list[tuple[str, str]]:
        """(kind, name) of the messages and signals an instance waits for."""
        with self.session() as s:
            return [(w.kind, w.name) for w in s.scalars(
                select(EventWait).where(EventWait.instance_id == instance_id).order_by(EventWait.kind, EventWait.name))]

    def start_plan(self, process_id: str) -> StartPlanView:
        """How the newest version of a process starts besides by hand, and its next timer start."""
        with self.session() as s:
            newest = latest_definitions(s, "bpmn").get(process_id)
            triggers = [] if newest is None else [
                (t.kind, t.name, t.bpmn_id) for t in s.scalars(
                    select(StartTrigger).where(StartTrigger.definition_id == newest.id).order_by(StartTrigger.id))]
            row = s.scalars(select(ScheduledStart).where(ScheduledStart.process_id == process_id)).first()
            return StartPlanView(tuple(triggers), row.next_at if row else None, row.fired if row else 0,
                                 row.remaining if row else 0)

    def scheduled_starts(self) -> list[tuple[str, datetime | None, int]]:
        """(process id, next start, starts so far) of every timer start event."""
        with self.session() as s:
            return [(r.process_id, r.next_at, r.fired)
                    for r in s.scalars(select(ScheduledStart).order_by(ScheduledStart.process_id))]

    def _require_sender(self, unit: Unit, user: str) -> None:
        if user != SYSTEM_USER and not SENDER_GROUPS & self._groups(unit.session, user):
            raise NotAllowed(f"{user} may not send messages or signals (needs group process_owner or integration)",
                             "not_sender")

    # -- routing --------------------------------------------------------------------------------
    def _route(self, unit: Unit) -> None:
        """Deliver what instances threw during this unit, and what the receivers throw in turn."""
        deliveries = 0
        while unit.thrown:
            item: Thrown = unit.thrown.pop(0)
            source = unit.lock_instance(item.source_id)
            payload = item.event.payload
            if deliveries >= MAX_DELIVERIES:
                unit.record(source, f"{item.kind}_undelivered", actor="engine",
                            data={"name": item.name, "payload": payload, "reason": "too_many_deliveries"})
                continue
            route = self._deliver(unit, item.kind, item.name, item.event,
                                  origin={"from_instance": item.source_id}, exclude=item.source_id)
            deliveries += len(route.delivered) + len(route.started)
            kind = f"{item.kind}_sent" if route.delivered or route.started else f"{item.kind}_undelivered"
            unit.record(source, kind, actor="engine", data={"name": item.name, "payload": payload,
                                                             "delivered_to": route.delivered, "started": route.started})

    def _deliver(self, unit: Unit, kind: str, name: str, event, origin: dict[str, Any],
                 instance_id: int | None = None, deliver_all: bool = False, exclude: int | None = None,
                 strict: bool = False) -> _Route:
        s, route = unit.session, _Route()
        stmt = (select(EventWait.instance_id).join(ProcessInstance, ProcessInstance.id == EventWait.instance_id)
                .where(EventWait.kind == kind, EventWait.name == name, ProcessInstance.status == "running")
                .order_by(EventWait.instance_id))
        if instance_id is not None:
            stmt = stmt.where(EventWait.instance_id == instance_id)
        if exclude is not None:
            stmt = stmt.where(EventWait.instance_id != exclude)
        one = kind == events.MESSAGE and not deliver_all
        for candidate in list(dict.fromkeys(s.scalars(stmt))):
            instance = unit.lock_instance(candidate)
            if instance.status != "running":
                continue
            workflow = unit.load(instance)
            try:
                caught = events.catchers(workflow, event)
            except Exception as exc:  # noqa: BLE001 - e.g. a correlation expression the payload cannot feed
                if strict:
                    raise EventRefused(f"instance {instance.id} cannot take {kind} {name!r}: "
                                       f"{exc.__class__.__name__}: {exc}", "bad_payload") from exc
                unit.session.expire(instance)  # nothing of the half-caught workflow is saved
                continue
            if not caught:
                continue
            unit.record(instance, f"{kind}_received", data={"name": name, "payload": event.payload, **origin})
            result = runner.run(workflow, unit.now)
            unit.save(instance, workflow, result)
            route.delivered.append(instance.id)
            if one:
                return route
        if instance_id is None and (kind == events.SIGNAL or not route.delivered):
            for definition, trigger in self._triggered(s, kind, name):
                instance = self._start_by_event(unit, definition, trigger.bpmn_id, event,
                                                {"by": kind, "name": name, "payload": event.payload, **origin})
                route.started.append(instance.id)
                if one:
                    break
        return route

    def _triggered(self, s, kind: str, name: str) -> list[tuple[ProcessDefinition, StartTrigger]]:
        """The newest definitions that start on this message or signal."""
        latest = {d.id: d for d in latest_definitions(s, "bpmn").values()}
        rows = s.scalars(select(StartTrigger).where(StartTrigger.kind == kind, StartTrigger.name == name,
                                                    StartTrigger.definition_id.in_(latest))
                         .order_by(StartTrigger.process_id))
        return [(latest[r.definition_id], r) for r in rows]

    def _start_by_event(self, unit: Unit, definition: ProcessDefinition, bpmn_id: str, event,
                        started: dict[str, Any]) -> ProcessInstance:
        """A new instance whose start event `bpmn_id` catches `event` (None: its own timer)."""
        deps = dependencies_for(unit.session, definition, self.specs)
        spec, subprocess_specs = self.specs.get(unit.session, definition.id, deps)
        # the engine starts it (nobody's own request); the audit line says who or what caused it
        instance, workflow = self._begin(unit, definition, deps, spec, subprocess_specs, ENGINE, {},
                                         {**started, "version": definition.version, "start_event": bpmn_id})
        first = runner.run(workflow, unit.now)  # the start events now wait
        event = event or events.timer_start_event(workflow, bpmn_id)
        if event is not None and first.error is None:
            events.catchers(workflow, event)
            result = runner.run(workflow, unit.now)
            result.steps[:0] = first.steps
            result.signals[:0] = first.signals
        else:
            result = first
        unit.save(instance, workflow, result)
        return instance

    # -- deploy and timer starts ------------------------------------------------------------------
    def _register_triggers(self, unit: Unit, definition: ProcessDefinition) -> None:
        """Index a new version's message, signal and timer start events; (re)plan its timer starts."""
        s = unit.session
        deps = dependencies_for(s, definition, self.specs)
        spec, _subs = self.specs.get(s, definition.id, deps)
        timer = None
        for trigger in events.start_triggers(spec):
            s.add(StartTrigger(definition_id=definition.id, process_id=definition.process_id,
                               bpmn_id=trigger.bpmn_id, kind=trigger.kind, name=str(trigger.name)[:200]))
            if trigger.kind == events.TIMER and timer is None:
                timer = trigger
        s.execute(delete(ScheduledStart).where(ScheduledStart.process_id == definition.process_id))
        if timer is not None:
            planned = schedule.plan(timer.definition, unit.now, timer.bpmn_id)
            s.add(ScheduledStart(process_id=definition.process_id, definition_id=definition.id,
                                 bpmn_id=timer.bpmn_id, next_at=planned.next_at, remaining=planned.remaining,
                                 every_seconds=planned.every_seconds, fired=0))

    def fire_scheduled_starts(self, now: datetime, limit: int = 100) -> int:
        """Start one instance per due time of every timer start event; returns how many started."""
        started = 0
        while started < limit:
            with self.Session() as s:
                due = list(s.scalars(select(ScheduledStart.id).where(ScheduledStart.next_at <= now)
                                     .order_by(ScheduledStart.next_at).limit(limit)))
            if not due:
                return started
            progressed = 0
            for schedule_id in due:
                if self._start_scheduled(schedule_id, now):
                    started += 1
                    progressed += 1
            if not progressed:
                return started
        return started

    def _start_scheduled(self, schedule_id: int, now: datetime) -> bool:
        def work(unit: Unit) -> bool:
            stmt = select(ScheduledStart).where(ScheduledStart.id == schedule_id)
            if self.locking:  # another worker holds it: it is starting this due time
                stmt = stmt.with_for_update(skip_locked=True)
            row = unit.session.scalars(stmt).first()
            if row is None or row.next_at is None or row.next_at > now:
                return False
            definition = unit.session.get(ProcessDefinition, row.definition_id)
            due = row.next_at
            row.next_at, row.remaining = schedule.advance(due, row.remaining, row.every_seconds)
            row.fired += 1
            unit.session.flush()  # claim this due time first: a concurrent worker loses here
            self._start_by_event(unit, definition, row.bpmn_id, None, {"by": "timer", "due": due.isoformat()})
            return True
        try:
            return self._unit(ENGINE, work, now=now)
        except Conflict:
            return False


def _correlations(value: dict | None) -> dict:
    """Correlations as SpiffWorkflow keeps them: {key: {property: value}}."""
    if not value:
        return {}
    if not isinstance(value, dict) or not all(isinstance(v, dict) for v in value.values()):
        raise EventRefused("correlations must be {key: {property: value}}", "bad_correlation")
    return value
