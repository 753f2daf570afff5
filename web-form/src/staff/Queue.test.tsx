import { screen, within } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { jsonResponse } from '../test/helpers';
import { COLLEAGUE, FakeStaffServer, ME, item } from './test/fakeStaffServer';
import { advance, renderInbox, useFakeClock } from './test/render';

let server: FakeStaffServer;

beforeEach(() => {
  useFakeClock();
  server = new FakeStaffServer();
  server.signedIn = true;
});

afterEach(() => {
  vi.useRealTimers();
});

function cells(row: HTMLElement): string[] {
  return within(row)
    .getAllByRole('cell')
    .map((cell) => cell.textContent ?? '');
}

describe('the queue', () => {
  it('lists each ticket with priority, channel, reason, time waiting, assignee and SLA, in the server’s order', async () => {
    server.tickets = [
      item(),
      item({
        ticket_number: 'TKT-0002',
        subject: 'Where is my invoice?',
        channel: 'whatsapp',
        priority: 'urgent',
        escalation_reason: 'human_requested',
        customer: { name: '', email: null, phone: '+15550100' },
        waiting_since: '2025-03-02T11:58:30Z',
        assigned_to: { id: COLLEAGUE.id, name: COLLEAGUE.name },
        sla: { first_response_due: '2025-03-02T12:10:00Z', resolution_due: null, overdue: false },
      }),
      item({
        ticket_number: 'TKT-0003',
        channel: 'email',
        priority: 'low',
        escalation_reason: 'kb_miss',
        waiting_since: '2025-02-28T09:00:00Z',
        assigned_to: { id: ME.id, name: ME.name },
        sla: { first_response_due: null, resolution_due: null, overdue: false },
      }),
    ];
    await renderInbox();
    const table = screen.getByRole('table', { name: /Waiting for an answer, longest wait first/ });
    const rows = within(table).getAllByTestId('queue-row');
    expect(rows.map((row) => row.dataset.ticket)).toEqual(['TKT-0001', 'TKT-0002', 'TKT-0003']);
    expect(within(table).getAllByRole('columnheader').map((h) => h.textContent)).toEqual([
      'Ticket',
      'Customer',
      'Priority',
      'Channel',
      'Reason',
      'Waiting',
      'Assignee',
      'SLA',
    ]);
    expect(cells(rows[0] as HTMLElement)).toEqual([
      'Ada Lovelace',
      'High',
      'Web form',
      'Refund request',
      '45 min',
      'Nobody',
      'First reply due in 1 h',
    ]);
    expect(cells(rows[1] as HTMLElement)).toEqual([
      '+15550100',
      'Urgent',
      'WhatsApp',
      'Asked for a person',
      '1 min',
      'Ria Patel',
      'First reply due in 10 min',
    ]);
    expect(cells(rows[2] as HTMLElement)).toEqual(['Ada Lovelace', 'Low', 'Email', 'Not in the knowledge base', '2 d 3 h', 'Me', 'No SLA']);
    expect(within(rows[1] as HTMLElement).getByTestId('sla-badge')).toHaveClass('badge--attention');
    expect(within(rows[0] as HTMLElement).getByRole('link')).toHaveAttribute('href', '/staff/?ticket=TKT-0001');
    expect(within(rows[0] as HTMLElement).getByRole('link')).toHaveAccessibleName('TKT-0001 Refund for last month');
  });

  it('marks overdue tickets and shows the counts of waiting and overdue', async () => {
    server.tickets = [item({ sla: { first_response_due: '2025-03-02T11:30:00Z', resolution_due: null, overdue: true } })];
    server.counts = { waiting: 4, overdue: 1 };
    await renderInbox();
    const badge = within(screen.getByTestId('queue-row')).getByTestId('sla-badge');
    expect(badge).toHaveTextContent('Overdue');
    expect(badge).toHaveClass('badge--danger');
    expect(screen.getByTestId('count-waiting')).toHaveTextContent('4 waiting');
    expect(screen.getByTestId('count-overdue')).toHaveTextContent('1 overdue');
    expect(screen.getByTestId('count-overdue')).toHaveClass('badge--danger');
  });

  it('counts a due time that has passed as overdue even before the server says so', async () => {
    server.tickets = [item({ sla: { first_response_due: '2025-03-02T11:59:00Z', resolution_due: null, overdue: false } })];
    await renderInbox();
    expect(within(screen.getByTestId('queue-row')).getByTestId('sla-badge')).toHaveTextContent('Overdue');
  });

  it('updates the time waiting on every refresh', async () => {
    await renderInbox();
    const row = () => screen.getByTestId('queue-row');
    expect(cells(row())[4]).toBe('45 min');
    await advance(5 * 60_000);
    expect(cells(row())[4]).toBe('50 min');
  });

  it('says when the queue is empty', async () => {
    server.tickets = [];
    server.counts = { waiting: 0, overdue: 0 };
    await renderInbox();
    expect(screen.getByTestId('queue-empty')).toHaveTextContent('No tickets here. New ones appear by themselves.');
    expect(screen.queryByRole('table')).toBeNull();
  });

  it('keeps the last queue and says so when a refresh fails, then recovers', async () => {
    await renderInbox();
    server.fetch.mockImplementationOnce(() => Promise.resolve(jsonResponse(503, { detail: 'The database is busy.' })));
    await advance(5000);
    expect(screen.getByRole('alert')).toHaveTextContent('The database is busy. The queue will try again by itself.');
    expect(screen.getAllByTestId('queue-row')).toHaveLength(1);
    await advance(5000);
    expect(screen.queryByRole('alert')).toBeNull();
  });

  it('lets a keyboard user reach every ticket link and the scrollable table in order', async () => {
    const { user } = await renderInbox();
    await user.tab(); // brand link
    await user.tab(); // sign out
    expect(screen.getByRole('button', { name: 'Sign out' })).toHaveFocus();
    await user.tab();
    await user.tab();
    await user.tab(); // Waiting, Mine, All
    expect(screen.getByRole('link', { name: 'All' })).toHaveFocus();
    await user.tab();
    expect(screen.getByRole('region', { name: 'Ticket list' })).toHaveFocus();
    await user.tab();
    expect(within(screen.getByTestId('queue-row')).getByRole('link')).toHaveFocus();
    await user.keyboard('{Enter}');
    await advance(0);
    expect(screen.getByRole('heading', { name: 'Ticket TKT-0001' })).toHaveFocus();
  });
});
