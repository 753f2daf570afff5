import { screen, within } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { jsonResponse } from '../test/helpers';
import { COLLEAGUE, CSRF, FakeStaffServer, ME, item, message } from './test/fakeStaffServer';
import { advance, renderInbox, settle, useFakeClock } from './test/render';

let server: FakeStaffServer;

beforeEach(() => {
  useFakeClock();
  server = new FakeStaffServer();
  server.signedIn = true;
});

afterEach(() => {
  vi.useRealTimers();
});

const openTicket = () => renderInbox('/staff/?ticket=TKT-0001');

describe('a ticket', () => {
  it('shows the customer, channel, priority, time waiting, SLA and the agent’s reason for handing over', async () => {
    await openTicket();
    expect(screen.getByRole('heading', { name: 'Ticket TKT-0001' })).toBeInTheDocument();
    expect(screen.getByText('Refund for last month')).toBeInTheDocument();
    expect(screen.getByTestId('ticket-status')).toHaveTextContent('Escalated');
    expect(screen.getByTestId('sla-badge')).toHaveTextContent('First reply due in 1 h');
    expect(screen.getByTestId('handover-reason')).toHaveTextContent('Handed over by the AI agent: Refund request (refund_request)');
    const customer = screen.getByText('Customer').nextElementSibling;
    expect(customer).toHaveTextContent('Ada Lovelace');
    expect(customer).toHaveTextContent('ada@example.com');
    expect(screen.getByText('Channel').nextElementSibling).toHaveTextContent('Web form');
    expect(screen.getByText('Priority').nextElementSibling).toHaveTextContent('High');
    expect(screen.getByText('45 min')).toBeInTheDocument();
    expect(screen.getByTestId('assignee')).toHaveTextContent('Nobody');
  });

  it('shows the whole cross-channel history, who wrote each message and on which channel', async () => {
    server.history['TKT-0001'] = [
      message({ id: 'a', channel: 'email', content: 'First, by email.', created_at: '2025-03-01T09:00:00Z' }),
      message({ id: 'b', role: 'agent', channel: 'email', content: 'The agent by email.', created_at: '2025-03-01T09:00:10Z' }),
      message({ id: 'c', channel: 'whatsapp', content: 'Then on WhatsApp.', created_at: '2025-03-02T11:15:00Z' }),
      message({
        id: 'd',
        role: 'staff',
        channel: 'whatsapp',
        content: 'A person answers.',
        created_at: '2025-03-02T11:20:00Z',
        delivery_status: 'delivered',
        author: { id: COLLEAGUE.id, name: COLLEAGUE.name },
      }),
    ];
    await openTicket();
    const messages = screen.getAllByTestId('thread-message');
    expect(messages.map((m) => m.dataset.role)).toEqual(['customer', 'agent', 'customer', 'staff']);
    expect(messages[0]).toHaveTextContent('Ada Lovelace');
    expect(messages[0]).toHaveTextContent('via Email');
    expect(messages[1]).toHaveTextContent('AI agent');
    expect(messages[2]).toHaveTextContent('via WhatsApp');
    expect(messages[3]).toHaveTextContent('Ria Patel');
    expect(messages[3]).toHaveTextContent('Delivered on WhatsApp');
  });

  it('shows the customer’s rating of a resolved ticket, on each channel they gave one', async () => {
    server.tickets = [item({ status: 'resolved' })];
    server.ratings['TKT-0001'] = [{ channel: 'email', score: 4, rated_at: '2025-03-03T09:00:00Z' }];
    await openTicket();
    expect(screen.getByTestId('ratings')).toHaveTextContent('4 of 5 (Email)');
  });

  it('says a resolved ticket is not rated yet, and shows no rating on an open one', async () => {
    server.tickets = [item({ status: 'resolved' })];
    const { unmount } = await openTicket();
    expect(screen.getByTestId('ratings')).toHaveTextContent('Not rated yet');
    unmount();

    server.tickets = [item()];
    await openTicket();
    expect(screen.queryByTestId('ratings')).not.toBeInTheDocument();
  });

  it('says so when the ticket does not exist', async () => {
    server.tickets = [];
    await openTicket();
    expect(screen.getByRole('alert')).toHaveTextContent('There is no ticket TKT-0001');
  });
});

describe('answering', () => {
  it('sends the answer, then shows it in the conversation once the server lists it', async () => {
    const { user } = await openTicket();
    expect(screen.getByLabelText('Answer the customer')).toHaveAccessibleDescription(/Shown on the customer’s ticket page/);
    await user.type(screen.getByLabelText('Answer the customer'), '  I have refunded last month.  ');
    await user.click(screen.getByRole('button', { name: 'Send answer' }));
    await settle();
    const [reply] = server.calls('POST', '/api/v1/staff/tickets/TKT-0001/replies');
    expect(reply?.body).toEqual({ body: 'I have refunded last month.' });
    expect(reply?.headers['Content-Type']).toBe('application/json');
    const staff = screen.getAllByTestId('thread-message').filter((m) => m.dataset.role === 'staff');
    expect(staff).toHaveLength(1); // the server's copy, not the pending one as well
    expect(staff[0]).toHaveTextContent('Sam Lee');
    expect(staff[0]).toHaveTextContent('I have refunded last month.');
    expect(screen.getByLabelText('Answer the customer')).toHaveValue('');
    expect(screen.getByTestId('announcer')).toHaveTextContent('Answer sent to Ada Lovelace.');
  });

  it('shows a sent answer at once, marked Sent, until the server lists it', async () => {
    server.recordAnswers = false;
    const { user } = await openTicket();
    await user.type(screen.getByLabelText('Answer the customer'), 'On its way.');
    await user.click(screen.getByRole('button', { name: 'Send answer' }));
    await settle();
    let staff = screen.getAllByTestId('thread-message').filter((m) => m.dataset.role === 'staff');
    expect(staff).toHaveLength(1);
    expect(staff[0]).toHaveTextContent('Sent');
    server.history['TKT-0001']?.push(
      message({ id: 'x', role: 'staff', content: 'On its way.', created_at: '2025-03-02T12:00:01Z', author: { id: ME.id, name: ME.name } }),
    );
    await advance(5000);
    staff = screen.getAllByTestId('thread-message').filter((m) => m.dataset.role === 'staff');
    expect(staff).toHaveLength(1);
    expect(staff[0]).not.toHaveTextContent('Sent');
  });

  it('sends with Ctrl+Enter and refuses an empty answer without asking the server', async () => {
    const { user } = await openTicket();
    await user.click(screen.getByRole('button', { name: 'Send answer' }));
    expect(screen.getByLabelText('Answer the customer')).toHaveFocus();
    expect(screen.getByLabelText('Answer the customer')).toHaveAccessibleDescription(/Write the answer first/);
    expect(server.calls('POST')).toHaveLength(0);
    await user.type(screen.getByLabelText('Answer the customer'), 'Done.');
    await user.keyboard('{Control>}{Enter}{/Control}');
    await settle();
    expect(server.calls('POST', '/api/v1/staff/tickets/TKT-0001/replies')).toHaveLength(1);
  });

  it('keeps the text and shows the error when sending fails', async () => {
    const { user } = await openTicket();
    await user.type(screen.getByLabelText('Answer the customer'), 'Refunded.');
    server.fetch.mockImplementationOnce(() => Promise.resolve(jsonResponse(503, { detail: 'The broker is not reachable.' })));
    await user.click(screen.getByRole('button', { name: 'Send answer' }));
    await settle();
    expect(screen.getByRole('alert')).toHaveTextContent('The broker is not reachable.');
    expect(screen.getByLabelText('Answer the customer')).toHaveValue('Refunded.');
  });

  it('sends a retried answer with the same Idempotency-Key, and a new answer with a new one', async () => {
    const { user } = await openTicket();
    await user.type(screen.getByLabelText('Answer the customer'), 'Refunded.');
    server.fetch.mockImplementationOnce(() => Promise.reject(new TypeError('Failed to fetch')));
    await user.click(screen.getByRole('button', { name: 'Send answer' }));
    await settle();
    expect(screen.getByRole('alert')).toHaveTextContent("couldn't reach the support server");
    await user.click(screen.getByRole('button', { name: 'Send answer' }));
    await settle();
    await user.type(screen.getByLabelText('Answer the customer'), 'Anything else?');
    await user.click(screen.getByRole('button', { name: 'Send answer' }));
    await settle();
    const keys = server.fetch.mock.calls
      .filter(([url]) => String(url).endsWith('/replies'))
      .map(([, init]) => (init?.headers as Record<string, string>)['Idempotency-Key']);
    expect(keys).toHaveLength(3);
    expect(keys[0]).toMatch(/^[\x21-\x7e]{1,255}$/);
    expect(keys[1]).toBe(keys[0]);
    expect(keys[2]).not.toBe(keys[0]);
  });

  it('tells where an email or WhatsApp answer goes', async () => {
    server.tickets = [item({ channel: 'email' })];
    await openTicket();
    expect(screen.getByLabelText('Answer the customer')).toHaveAccessibleDescription(/Sent by email, in the customer’s thread/);
  });
});

describe('notes', () => {
  it('lists team and private notes, the private ones marked', async () => {
    server.notes['TKT-0001'] = [
      { id: 'n1', body: 'Billing confirmed the double charge.', private: false, author: { id: COLLEAGUE.id, name: COLLEAGUE.name }, created_at: '2025-03-02T11:30:00Z' },
      { id: 'n2', body: 'Customer was rude last time.', private: true, author: { id: ME.id, name: ME.name }, created_at: '2025-03-02T11:40:00Z' },
    ];
    await openTicket();
    const notes = screen.getAllByTestId('note');
    expect(notes.map((n) => n.dataset.private)).toEqual(['false', 'true']);
    expect(within(notes[0] as HTMLElement).queryByText('Private')).toBeNull();
    expect(within(notes[1] as HTMLElement).getByText('Private')).toBeInTheDocument();
    expect(notes[0]).toHaveTextContent('Ria Patel');
  });

  it('adds a private note when the box is ticked, and a team note otherwise', async () => {
    const { user } = await openTicket();
    const privately = screen.getByRole('checkbox', { name: 'Private' });
    expect(privately).toHaveAccessibleDescription('Only you will see a private note.');
    await user.type(screen.getByLabelText('Add a note'), 'Only for me.');
    await user.click(privately);
    await user.click(screen.getByRole('button', { name: 'Add note' }));
    await settle();
    await user.type(screen.getByLabelText('Add a note'), 'For the team.');
    await user.keyboard('{Control>}{Enter}{/Control}');
    await settle();
    const posts = server.calls('POST', '/api/v1/staff/tickets/TKT-0001/notes');
    expect(posts.map((p) => p.body)).toEqual([
      { body: 'Only for me.', private: true },
      { body: 'For the team.', private: false },
    ]);
    const notes = screen.getAllByTestId('note');
    expect(notes.map((n) => [n.dataset.private, n.querySelector('.thread__content')?.textContent])).toEqual([
      ['true', 'Only for me.'],
      ['false', 'For the team.'],
    ]);
    expect(screen.getByRole('checkbox', { name: 'Private' })).not.toBeChecked();
  });
});

describe('assigning, resolving and reopening', () => {
  it('assigns to me in one click, and the action log says who did it', async () => {
    const { user } = await openTicket();
    await user.click(screen.getByRole('button', { name: 'Assign to me' }));
    await settle();
    expect(server.calls('POST', '/api/v1/staff/tickets/TKT-0001/assign')[0]?.body).toEqual({ staff_id: ME.id });
    expect(screen.getByTestId('assignee')).toHaveTextContent('Sam Lee');
    expect(screen.queryByRole('button', { name: 'Assign to me' })).toBeNull();
    expect(screen.getByTestId('action')).toHaveTextContent('Sam Lee took the ticket');
  });

  it('assigns to a colleague from the team list, or to nobody', async () => {
    const { user } = await openTicket();
    const select = screen.getByLabelText('Assign to');
    expect(within(select).getAllByRole('option').map((o) => o.textContent)).toEqual(['Nobody', 'Me (Sam Lee)', 'Ria Patel']);
    await user.selectOptions(select, 'Ria Patel');
    await user.click(screen.getByRole('button', { name: 'Assign' }));
    await settle();
    expect(screen.getByTestId('assignee')).toHaveTextContent('Ria Patel');
    expect(screen.getByLabelText('Assign to')).toHaveValue(COLLEAGUE.id);
    await user.selectOptions(screen.getByLabelText('Assign to'), 'Nobody');
    await user.click(screen.getByRole('button', { name: 'Assign' }));
    await settle();
    const bodies = server.calls('POST', '/api/v1/staff/tickets/TKT-0001/assign').map((c) => c.body);
    expect(bodies).toEqual([{ staff_id: COLLEAGUE.id }, { staff_id: null }]);
    expect(screen.getByTestId('assignee')).toHaveTextContent('Nobody');
    expect(screen.getAllByTestId('action').map((a) => a.textContent)).toEqual([
      expect.stringContaining('assigned the ticket to Ria Patel'),
      expect.stringContaining('unassigned the ticket'),
    ]);
  });

  it('resolves, then reopens, the status and the button following', async () => {
    const { user } = await openTicket();
    await user.click(screen.getByRole('button', { name: 'Resolve' }));
    await settle();
    expect(screen.getByTestId('ticket-status')).toHaveTextContent('Resolved');
    expect(screen.queryByRole('button', { name: 'Resolve' })).toBeNull();
    expect(screen.getByTestId('announcer')).toHaveTextContent('Ticket resolved.');
    await user.click(screen.getByRole('button', { name: 'Reopen' }));
    await settle();
    expect(screen.getByTestId('ticket-status')).toHaveTextContent('Escalated');
    expect(screen.getAllByTestId('action').map((a) => a.textContent)).toEqual([
      expect.stringContaining('resolved the ticket'),
      expect.stringContaining('reopened the ticket'),
    ]);
    expect(server.calls('POST').every((c) => c.headers['X-CSRF-Token'] === CSRF)).toBe(true);
  });

  it('shows why an action failed and keeps the ticket as it was', async () => {
    const { user } = await openTicket();
    server.fetch.mockImplementationOnce(() => Promise.resolve(jsonResponse(409, { detail: 'The ticket is already resolved.' })));
    await user.click(screen.getByRole('button', { name: 'Resolve' }));
    await settle();
    expect(screen.getByRole('alert')).toHaveTextContent('The ticket is already resolved.');
    expect(screen.getByTestId('ticket-status')).toHaveTextContent('Escalated');
  });
});
