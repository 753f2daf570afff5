import type { Ticket, TicketMessage } from './api';

/** Statuses after which no reply is expected without the customer writing again. */
export const FINAL_STATUSES: readonly string[] = ['resolved', 'failed'];

/** Chronological order (stable: messages with equal or unreadable times keep the server's order). */
export function sortMessages<M extends TicketMessage>(messages: readonly M[]): M[] {
  return messages
    .map((message, index) => ({ message, index, time: Date.parse(message.created_at) }))
    .sort((a, b) => {
      if (!Number.isNaN(a.time) && !Number.isNaN(b.time) && a.time !== b.time) return a.time - b.time;
      return a.index - b.index;
    })
    .map((entry) => entry.message);
}

/** An answer to the customer: the agent's, or a person's on the support team. */
export function isAnswer(message: TicketMessage): boolean {
  return message.role === 'agent' || message.role === 'staff';
}

/** True while the latest customer message has no answer (agent or staff) after it. */
export function isAwaitingReply(messages: readonly TicketMessage[]): boolean {
  const ordered = sortMessages(messages);
  let lastCustomer = -1;
  let lastAgent = -1;
  ordered.forEach((message, index) => {
    if (isAnswer(message)) lastAgent = index;
    else lastCustomer = index;
  });
  if (lastCustomer === -1 && lastAgent === -1) return true; // thread not written yet
  return lastAgent < lastCustomer;
}

/** True while an escalated ticket's latest customer message has no answer from a person after it. */
export function isAwaitingStaff(messages: readonly TicketMessage[]): boolean {
  const ordered = sortMessages(messages);
  const lastCustomer = ordered.map((message) => message.role).lastIndexOf('customer');
  return !ordered.slice(lastCustomer + 1).some((message) => message.role === 'staff');
}

export function shouldKeepPolling(ticket: Ticket, pendingReplies: number): boolean {
  if (pendingReplies > 0) return true;
  if (FINAL_STATUSES.includes(ticket.status)) return false;
  // The agent's handover note answers nothing: a person's reply is still to come.
  if (ticket.status === 'escalated') return isAwaitingStaff(ticket.messages);
  return isAwaitingReply(ticket.messages);
}

export interface PendingReply {
  localId: string;
  content: string;
  createdAt: string;
  /** How many customer messages the server must list before this reply counts as recorded. */
  recordedWhenCustomerCount: number;
}

function customerCount(messages: readonly TicketMessage[]): number {
  return messages.filter((message) => message.role === 'customer').length;
}

export function makePendingReply(
  content: string,
  serverMessages: readonly TicketMessage[],
  alreadyPending: readonly PendingReply[],
  now: Date = new Date(),
): PendingReply {
  return {
    localId: `local-${now.getTime()}-${alreadyPending.length}`,
    content,
    createdAt: now.toISOString(),
    recordedWhenCustomerCount: customerCount(serverMessages) + alreadyPending.length + 1,
  };
}

/** Drops the optimistic replies that the server's thread now includes. */
export function reconcilePending(
  pending: readonly PendingReply[],
  serverMessages: readonly TicketMessage[],
): PendingReply[] {
  const count = customerCount(serverMessages);
  return pending.filter((reply) => count < reply.recordedWhenCustomerCount);
}

/** Answers (agent or staff) in `next` that were not in `previous`. */
export function newAgentMessages(previous: Ticket, next: Ticket): TicketMessage[] {
  const known = new Set(previous.messages.map((message) => String(message.id)));
  return next.messages.filter((message) => isAnswer(message) && !known.has(String(message.id)));
}
