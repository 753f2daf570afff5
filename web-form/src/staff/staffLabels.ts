/** The inbox's wording for codes the staff API sends. Unknown codes fall back to a readable form. */
import type { QueueItem, StaffAction } from './staffApi';

export function humanise(code: string): string {
  const words = code.replace(/[_-]+/g, ' ').trim();
  return words === '' ? code : words.charAt(0).toUpperCase() + words.slice(1);
}

/** The agent's reasons for handing over (shared/agent/reasons.py). */
const REASON_LABELS: Record<string, string> = {
  pricing_inquiry: 'Pricing question',
  refund_request: 'Refund request',
  legal: 'Legal matter',
  human_requested: 'Asked for a person',
  profanity: 'Profanity',
  shouting: 'Shouting',
  negative_sentiment: 'Frustrated customer',
  kb_miss: 'Not in the knowledge base',
  agent_error: 'Agent error',
};

const STATUS_LABELS: Record<string, string> = {
  received: 'Received',
  open: 'Open',
  answered: 'Answered',
  escalated: 'Escalated',
  resolved: 'Resolved',
  failed: 'Failed',
};

const PRIORITY_LABELS: Record<string, string> = { low: 'Low', medium: 'Medium', high: 'High', urgent: 'Urgent' };

export function reasonLabel(code: string | null): string {
  if (code === null || code === '') return '—';
  return REASON_LABELS[code] ?? humanise(code);
}

export function staffStatusLabel(code: string): string {
  return STATUS_LABELS[code] ?? humanise(code);
}

export function staffPriorityLabel(code: string): string {
  return PRIORITY_LABELS[code] ?? humanise(code);
}

/** A span of time, short: "45 s", "12 min", "3 h 5 min", "2 d 4 h". */
export function formatDuration(ms: number): string {
  const seconds = Math.max(0, Math.floor(ms / 1000));
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return minutes % 60 === 0 ? `${hours} h` : `${hours} h ${minutes % 60} min`;
  const days = Math.floor(hours / 24);
  return hours % 24 === 0 ? `${days} d` : `${days} d ${hours % 24} h`;
}

/** How long the customer has waited, or '' when the time is missing or unreadable. */
export function waitingFor(since: string, now: number): string {
  const start = Date.parse(since);
  return Number.isNaN(start) ? '' : formatDuration(now - start);
}

export interface SlaBadge {
  text: string;
  tone: 'danger' | 'attention' | 'neutral';
  /** The ISO time the text is about, for a <time> element. */
  due: string | null;
}

/** Within this long of a due time, the badge turns to a warning. */
const DUE_SOON_MS = 30 * 60 * 1000;

/** The SLA badge: overdue, or the next clock that runs out (first response, else resolution). */
export function slaBadge(sla: QueueItem['sla'], now: number): SlaBadge {
  const clocks: Array<[string, string | null]> = [
    ['First reply', sla.first_response_due],
    ['Resolution', sla.resolution_due],
  ];
  const next = clocks.find(([, due]) => due !== null && !Number.isNaN(Date.parse(due)));
  if (sla.overdue) return { text: 'Overdue', tone: 'danger', due: next?.[1] ?? null };
  if (!next || next[1] === null) return { text: 'No SLA', tone: 'neutral', due: null };
  const left = Date.parse(next[1]) - now;
  if (left <= 0) return { text: 'Overdue', tone: 'danger', due: next[1] };
  return {
    text: `${next[0]} due in ${formatDuration(left)}`,
    tone: left <= DUE_SOON_MS ? 'attention' : 'neutral',
    due: next[1],
  };
}

/** One line of the action log: "assigned the ticket to Ria Patel", "resolved the ticket". */
export function describeAction(entry: StaffAction, nameOf: (id: string) => string | undefined = () => undefined): string {
  const { action, detail } = entry;
  switch (action) {
    case 'assigned': {
      const to = typeof detail.to === 'string' ? detail.to : null;
      if (to === null) return 'unassigned the ticket';
      if (to === entry.staff.id) return 'took the ticket';
      const name = nameOf(to);
      return name ? `assigned the ticket to ${name}` : 'assigned the ticket to a colleague';
    }
    case 'answered':
      return 'answered the customer';
    case 'noted':
      return detail.private === true ? 'added a private note' : 'added a note';
    case 'resolved':
      return 'resolved the ticket';
    case 'reopened':
      return 'reopened the ticket';
    default:
      return humanise(action).toLowerCase();
  }
}
