import { describe, expect, it } from 'vitest';
import type { Ticket, TicketMessage } from './api';
import { isAwaitingReply, makePendingReply, reconcilePending, shouldKeepPolling } from './ticketLogic';

let nextId = 1;
function msg(role: TicketMessage['role'], created_at: string): TicketMessage {
  return { id: nextId++, role, channel: 'web_form', content: `${role} message`, created_at, delivery_status: null };
}

function ticket(status: string, messages: TicketMessage[]): Ticket {
  return {
    ticket_number: 'TKT-1',
    status,
    channel: 'web_form',
    subject: 's',
    category: 'general',
    priority: 'low',
    created_at: '',
    updated_at: '',
    escalation_reason: null,
    messages,
  };
}

describe('waiting for a reply', () => {
  it('waits while the latest customer message has no later agent message', () => {
    expect(isAwaitingReply([msg('customer', '2025-01-01T10:00:00Z')])).toBe(true);
    expect(isAwaitingReply([msg('customer', '2025-01-01T10:00:00Z'), msg('agent', '2025-01-01T10:01:00Z')])).toBe(false);
    expect(
      isAwaitingReply([
        msg('customer', '2025-01-01T10:00:00Z'),
        msg('agent', '2025-01-01T10:01:00Z'),
        msg('customer', '2025-01-01T10:02:00Z'),
      ]),
    ).toBe(true);
  });

  it('orders by time, not by position in the list', () => {
    expect(isAwaitingReply([msg('agent', '2025-01-01T10:01:00Z'), msg('customer', '2025-01-01T10:00:00Z')])).toBe(false);
    expect(isAwaitingReply([msg('customer', '2025-01-01T10:05:00Z'), msg('agent', '2025-01-01T10:01:00Z')])).toBe(true);
  });

  it('waits on an empty thread (the first message is still being recorded)', () => {
    expect(isAwaitingReply([])).toBe(true);
  });

  it('stops for resolved and failed tickets unless a reply was just sent', () => {
    const open = [msg('customer', '2025-01-01T10:00:00Z')];
    expect(shouldKeepPolling(ticket('escalated', open), 0)).toBe(true);
    expect(shouldKeepPolling(ticket('resolved', open), 0)).toBe(false);
    expect(shouldKeepPolling(ticket('failed', open), 0)).toBe(false);
    expect(shouldKeepPolling(ticket('resolved', open), 1)).toBe(true);
  });
});

describe('waiting for a person on an escalated ticket', () => {
  it('keeps polling past the agent’s handover message until a staff answer comes after the customer', () => {
    const handedOver = [msg('customer', '2025-01-01T10:00:00Z'), msg('agent', '2025-01-01T10:00:05Z')];
    expect(shouldKeepPolling(ticket('escalated', handedOver), 0)).toBe(true);
    const answered = [...handedOver, msg('staff', '2025-01-01T11:00:00Z')];
    expect(shouldKeepPolling(ticket('escalated', answered), 0)).toBe(false);
    const writesAgain = [...answered, msg('customer', '2025-01-01T11:05:00Z')];
    expect(shouldKeepPolling(ticket('escalated', writesAgain), 0)).toBe(true);
  });

  it('counts a staff answer as a reply on a ticket that is no longer escalated', () => {
    expect(isAwaitingReply([msg('customer', '2025-01-01T10:00:00Z'), msg('staff', '2025-01-01T10:01:00Z')])).toBe(false);
  });
});

describe('optimistic replies', () => {
  it('stays until the server lists one more customer message', () => {
    const thread = [msg('customer', '2025-01-01T10:00:00Z'), msg('agent', '2025-01-01T10:01:00Z')];
    const reply = makePendingReply('More info', thread, [], new Date('2025-01-01T10:02:00Z'));
    expect(reconcilePending([reply], thread)).toEqual([reply]);
    expect(reconcilePending([reply], [...thread, msg('customer', '2025-01-01T10:02:00Z')])).toEqual([]);
  });

  it('tracks several quick replies one by one', () => {
    const thread = [msg('customer', '2025-01-01T10:00:00Z')];
    const first = makePendingReply('one', thread, []);
    const second = makePendingReply('two', thread, [first]);
    const withFirst = [...thread, msg('customer', '2025-01-01T10:02:00Z')];
    expect(reconcilePending([first, second], withFirst)).toEqual([second]);
  });
});
