/**
 * Requirements this harness cannot give an honest verdict on, each with the specific reason.
 * Listing a rule here is a claim that a test would prove nothing (or cannot be built with
 * black-box access), not that testing it was inconvenient; rules that a browser scenario could
 * check but none does yet belong in the "not yet covered" list of the coverage table instead.
 */
export interface Untestable {
  readonly id: string;
  readonly reason: string;
}

const GC_REASON =
  'Observable only by forcing garbage collection and showing that the object survives (events keep arriving). Only Chromium can force a collection (CDP HeapProfiler.collectGarbage), and a collector is never obliged to collect, so a PASS proves nothing and a FAIL cannot be provoked reliably.';

export const UNTESTABLE: readonly Untestable[] = [
  { id: 'GC-CONNECTING-REF', reason: GC_REASON },
  { id: 'GC-OPEN-REF', reason: GC_REASON },
  { id: 'GC-PENDING-TASK-REF', reason: GC_REASON },
  {
    id: 'GC-ABORT-ON-COLLECT',
    reason: 'Needs an unreferenced, listener-less EventSource to be collected while open, then the server to see the fetch aborted. Collection timing is up to the engine (no engine is obliged to collect at a given point), so a missing abort cannot be told apart from a collection that did not happen.',
  },
  {
    id: 'TASK-SOURCE',
    reason: 'Which task source a task is queued on is internal to the event loop; only its consequence, the relative order of open, message and error events, is observable, and that order is checked under DISPATCH-IN-ORDER and ANNOUNCE-OPEN.',
  },
  {
    id: 'REQ-INITIATOR-OTHER',
    reason: 'The initiator type exists only inside a browser, in the Resource Timing entry for the fetch (written when the fetch ends, which for an event stream is when the body ends); nothing of it reaches the network. This harness observes clients from the server side and through the events their adapters report, and non-browser clients have no initiator type at all, so it has no client-neutral way to observe the rule.',
  },
  {
    id: 'SRV-CLIENT-ID-IN-URL',
    reason: 'An authoring note about how a server identifies its clients internally (URL token rather than IP address); a black-box check of the wire cannot see which of the two a server relies on.',
  },
];
