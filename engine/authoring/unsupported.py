"""What SpiffWorkflow 3.2 does not run end to end, so the deploy check refuses it with what to draw instead."""
from __future__ import annotations

from lxml import etree

# BPMN elements SpiffWorkflow 3.2 parses silently into something else, or parses but never runs (each was
# tried end to end through Engine.deploy/start/complete): refused with what to draw instead. Transactions
# (with cancel events) do run and are accepted.
_NOT_RUN = "compensation is not supported: model the undo step as ordinary flow"
_NO_DATA_STORE = "data stores are not supported: keep data in task data or call a service operator"
UNSUPPORTED = {
    # a throw is taken as a none event and the instance ends there; the catch is never reached
    "linkEventDefinition": "link events are not supported: draw the sequence flow instead",
    # evaluated once on arrival and never again: a false condition waits forever
    "conditionalEventDefinition": "conditional events are not supported: the condition is never re-evaluated; "
                                  "use a gateway or a timer",
    # throws are taken as none events, handlers never run, boundary ones break the parser
    "compensateEventDefinition": _NOT_RUN,
    # starting one fails inside SpiffWorkflow (TypeError)
    "adHocSubProcess": "ad-hoc subprocesses are not supported: use a subprocess with explicit flow",
    # no data store implementation is registered; a lone reference is drawn but ignored
    "dataStore": _NO_DATA_STORE,
    "dataStoreReference": _NO_DATA_STORE,
    "complexGateway": "complex gateways are not supported: use an exclusive, inclusive or parallel gateway",
}
# The event definitions SpiffWorkflow 3.2 reads on each kind of event (its event_parsers.py); any other is
# dropped and the event runs as a none event: an error start event opens its event subprocess with the
# instance, a signal end event never sends its signal.
EVENT_DEFINITIONS_READ = {
    "startEvent": {"message", "signal", "timer", "conditional"},
    "endEvent": {"message", "cancel", "error", "escalation", "terminate"},
    "intermediateCatchEvent": {"message", "signal", "timer", "conditional"},
    "intermediateThrowEvent": {"escalation", "message", "signal", "timer"},
    "boundaryEvent": {"cancel", "error", "escalation", "message", "signal", "timer", "conditional"},
}
_EVENT_WORDS = {"startEvent": "start event", "endEvent": "end event", "boundaryEvent": "boundary event",
                "intermediateCatchEvent": "intermediate catch event",
                "intermediateThrowEvent": "intermediate throw event"}

def unsupported_reason(element: etree._Element) -> str | None:
    """Why a BPMN element would not run end to end here (one line), or None when it runs."""
    tag = etree.QName(element).localname
    reason = UNSUPPORTED.get(tag)
    if reason is None and element.get("isForCompensation") == "true":
        reason = _NOT_RUN
    if reason is None and tag.endswith("EventDefinition"):
        kind, event = tag[:-len("EventDefinition")], etree.QName(element.getparent()).localname
        if event in EVENT_DEFINITIONS_READ and kind not in EVENT_DEFINITIONS_READ[event]:
            words = _EVENT_WORDS[event]
            reason = f"{kind} {words}s are not supported: SpiffWorkflow runs them as plain {words}s"
    if reason is None and tag == "startEvent" and _interrupting_event_subprocess(element):
        reason = ("interrupting event subprocesses are not supported: SpiffWorkflow runs the handler "
                  "without cancelling the main flow; mark the start event non-interrupting")
    return reason


def _interrupting_event_subprocess(start: etree._Element) -> bool:
    """A start event of an event subprocess that BPMN says interrupts (the default)."""
    parent = start.getparent()
    kinds = {etree.QName(c).localname[:-len("EventDefinition")] for c in start
             if isinstance(c.tag, str) and etree.QName(c).localname.endswith("EventDefinition")}
    if kinds - EVENT_DEFINITIONS_READ["startEvent"]:
        return False  # refused for its event definition already
    return (parent is not None and etree.QName(parent).localname == "subProcess"
            and parent.get("triggeredByEvent") == "true" and start.get("isInterrupting", "true") != "false")
