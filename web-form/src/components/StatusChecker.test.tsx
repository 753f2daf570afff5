import { act, render, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Ticket, TicketMessage } from '../api';
import { callAuthorization, callInit, callJson, callUrl, deferred, jsonResponse, stubFetch, type FetchMock } from '../test/helpers';
import { NOT_FOUND_MESSAGE, StatusChecker } from './StatusChecker';

const CUSTOMER_FIRST: TicketMessage = {
  id: 1,
  role: 'customer',
  channel: 'web_form',
  content: 'My March invoice charges me twice.',
  created_at: '2025-03-02T10:00:00Z',
  delivery_status: null,
};
const AGENT_REPLY: TicketMessage = {
  id: 2,
  role: 'agent',
  channel: 'web_form',
  content: 'Sorry about that! I have refunded the duplicate charge.',
  created_at: '2025-03-02T10:00:20Z',
  delivery_status: 'sent',
};
const CUSTOMER_FOLLOW_UP: TicketMessage = {
  id: 3,
  role: 'customer',
  channel: 'web_form',
  content: 'Thanks! When will I see it?',
  created_at: '2025-03-02T10:05:00Z',
  delivery_status: null,
};
const AGENT_SECOND: TicketMessage = {
  id: 4,
  role: 'agent',
  channel: 'web_form',
  content: 'Within 5 to 10 business days.',
  created_at: '2025-03-02T10:05:15Z',
  delivery_status: 'sent',
};

function ticket(overrides: Partial<Ticket> = {}): Ticket {
  return {
    ticket_number: 'TKT-0001',
    status: 'received',
    channel: 'web_form',
    subject: 'Invoice is wrong',
    category: 'billing',
    priority: 'high',
    created_at: '2025-03-02T10:00:00Z',
    updated_at: '2025-03-02T10:00:00Z',
    escalation_reason: null,
    messages: [CUSTOMER_FIRST],
    ...overrides,
  };
}

const waiting = () => ticket({ status: 'open' });
const answered = () => ticket({ status: 'answered', messages: [CUSTOMER_FIRST, AGENT_REPLY] });

/** Lets pending promises settle and React render, without moving the clock. */
async function settle() {
  await act(async () => {
    await vi.advanceTimersByTimeAsync(0);
  });
}

async function advance(ms: number) {
  await act(async () => {
    await vi.advanceTimersByTimeAsync(ms);
  });
}

function getCalls(fetch: FetchMock): number {
  return fetch.mock.calls.filter(([, init]) => (init?.method ?? 'GET') === 'GET').length;
}

/** GET answers taken from a queue (the last one repeats); POSTs answered by `post`. */
function serve(gets: Array<Ticket | Response | Error | Promise<Response>>, post?: () => Promise<Response>): FetchMock {
  const queue = [...gets];
  return stubFetch((_input, init) => {
    if (init?.method === 'POST') return post ? post() : Promise.reject(new Error('unexpected POST'));
    const next = queue.length > 1 ? queue.shift() : queue[0];
    if (next instanceof Promise) return next;
    if (next instanceof Error) return Promise.reject(next);
    if (next instanceof Response) return Promise.resolve(next.clone());
    return Promise.resolve(jsonResponse(200, next));
  });
}

function threadMessages() {
  return screen.queryAllByTestId('thread-message');
}

beforeEach(() => {
  vi.useFakeTimers();
  // Testing Library only recognises Jest's fake timers: without this shim its
  // async wrapper (used by user-event) waits on a faked setTimeout forever.
  vi.stubGlobal('jest', { advanceTimersByTime: (ms: number) => vi.advanceTimersByTime(ms) });
});

afterEach(() => {
  vi.useRealTimers();
});

describe('StatusChecker', () => {
  describe('showing a ticket', () => {
    it('fetches the ticket with its token and shows the status and the whole thread', async () => {
      const fetch = serve([answered()]);
      render(<StatusChecker ticketNumber="TKT-0001" token="secret-token" />);
      expect(screen.getByText(/Loading your ticket/)).toBeInTheDocument();
      await settle();

      expect(callUrl(fetch, 0)).toBe('/api/v1/tickets/TKT-0001');
      expect(callAuthorization(fetch, 0)).toBe('Bearer secret-token');
      expect(screen.getByTestId('ticket-status')).toHaveTextContent('Answered');
      expect(screen.getByRole('heading', { name: 'Ticket TKT-0001' })).toBeInTheDocument();
      expect(screen.getByText('Invoice is wrong')).toBeInTheDocument();
      const messages = threadMessages();
      expect(messages).toHaveLength(2);
      expect(messages[0]).toHaveAttribute('data-role', 'customer');
      expect(messages[0]).toHaveTextContent(CUSTOMER_FIRST.content);
      expect(messages[1]).toHaveAttribute('data-role', 'agent');
      expect(messages[1]).toHaveTextContent(AGENT_REPLY.content);
      expect(within(messages[1] as HTMLElement).getByText('Northwind Cloud Support')).toBeInTheDocument();
    });

    it('encodes the ticket number in the URL and sends the token only as a bearer token', async () => {
      const fetch = serve([answered()]);
      render(<StatusChecker ticketNumber="TKT 1/2" token="a+b&c=d" apiBase="https://support.example.com/" />);
      await settle();
      expect(callUrl(fetch, 0)).toBe('https://support.example.com/api/v1/tickets/TKT%201%2F2');
      expect(callAuthorization(fetch, 0)).toBe('Bearer a+b&c=d');
    });

    it('treats a token no header can carry as a wrong token, without asking the server', async () => {
      const fetch = serve([answered()]);
      render(<StatusChecker ticketNumber="TKT-0001" token="tök en" />);
      await settle();
      expect(fetch).not.toHaveBeenCalled();
      expect(screen.getByRole('alert')).toHaveTextContent(NOT_FOUND_MESSAGE);
    });

    it('shows messages in chronological order even if the server lists them otherwise', async () => {
      serve([ticket({ status: 'answered', messages: [AGENT_REPLY, CUSTOMER_FIRST] })]);
      render(<StatusChecker ticketNumber="TKT-0001" token="t" />);
      await settle();
      expect(threadMessages().map((item) => item.getAttribute('data-role'))).toEqual(['customer', 'agent']);
    });

    it.each([
      ['received', 'Received'],
      ['open', 'Being worked on'],
      ['answered', 'Answered'],
      ['escalated', 'Passed to a person on our team'],
      ['resolved', 'Resolved'],
      ['failed', 'Delayed'],
      ['on_hold', 'On hold'],
    ])('labels the status "%s" as "%s"', async (status, label) => {
      serve([ticket({ status, messages: [CUSTOMER_FIRST, AGENT_REPLY] })]);
      render(<StatusChecker ticketNumber="TKT-0001" token="t" />);
      await settle();
      const badge = screen.getByTestId('ticket-status');
      expect(badge).toHaveTextContent(label);
      expect(badge).toHaveAttribute('data-status', status);
    });

    it('says the ticket could not be found on a 404 and stops asking', async () => {
      const fetch = serve([jsonResponse(404, { detail: 'Ticket not found' })]);
      render(<StatusChecker ticketNumber="TKT-9999" token="wrong" />);
      await settle();
      expect(screen.getByRole('alert')).toHaveTextContent(NOT_FOUND_MESSAGE);
      expect(NOT_FOUND_MESSAGE).toBe("We couldn't find that ticket. Check the number and the link you were given.");
      await advance(30_000);
      expect(getCalls(fetch)).toBe(1);
      expect(screen.queryByTestId('ticket-status')).not.toBeInTheDocument();
    });

    it('explains a network failure on first load and retries by itself', async () => {
      const fetch = serve([new TypeError('Failed to fetch'), answered()]);
      render(<StatusChecker ticketNumber="TKT-0001" token="t" pollIntervalMs={2000} />);
      await settle();
      expect(screen.getByRole('alert')).toHaveTextContent("We couldn't reach the support server.");
      await advance(2000);
      expect(getCalls(fetch)).toBe(2);
      expect(screen.getByTestId('ticket-status')).toHaveTextContent('Answered');
      expect(screen.queryByRole('alert')).not.toBeInTheDocument();
    });

    it("shows the server's detail for other errors", async () => {
      serve([jsonResponse(503, { detail: 'Support is being updated. Back in a minute.' })]);
      render(<StatusChecker ticketNumber="TKT-0001" token="t" />);
      await settle();
      expect(screen.getByRole('alert')).toHaveTextContent('Support is being updated. Back in a minute.');
    });
  });

  describe('polling for a reply', () => {
    it('asks again every interval until an agent reply newer than the customer message arrives, then stops', async () => {
      const fetch = serve([ticket(), waiting(), answered()]);
      render(<StatusChecker ticketNumber="TKT-0001" token="t" />);
      await settle();
      expect(getCalls(fetch)).toBe(1);
      expect(screen.getByTestId('waiting-indicator')).toBeInTheDocument();

      await advance(2999);
      expect(getCalls(fetch)).toBe(1);
      await advance(1);
      expect(getCalls(fetch)).toBe(2);
      expect(screen.getByTestId('ticket-status')).toHaveTextContent('Being worked on');

      await advance(3000);
      expect(getCalls(fetch)).toBe(3);
      expect(screen.getByTestId('ticket-status')).toHaveTextContent('Answered');
      expect(threadMessages()).toHaveLength(2);
      expect(screen.queryByTestId('waiting-indicator')).not.toBeInTheDocument();

      await advance(60_000);
      expect(getCalls(fetch)).toBe(3);
    });

    it('uses the pollIntervalMs prop', async () => {
      const fetch = serve([ticket()]);
      render(<StatusChecker ticketNumber="TKT-0001" token="t" pollIntervalMs={500} />);
      await settle();
      await advance(499);
      expect(getCalls(fetch)).toBe(1);
      await advance(1);
      expect(getCalls(fetch)).toBe(2);
      await advance(1000);
      expect(getCalls(fetch)).toBe(4);
    });

    it('does not poll when the reply is already there', async () => {
      const fetch = serve([answered()]);
      render(<StatusChecker ticketNumber="TKT-0001" token="t" />);
      await settle();
      await advance(30_000);
      expect(getCalls(fetch)).toBe(1);
      expect(screen.getByRole('button', { name: 'Check for updates' })).toBeInTheDocument();
    });

    it('keeps waiting when the only agent message is older than the latest customer message', async () => {
      const fetch = serve([ticket({ status: 'open', messages: [CUSTOMER_FIRST, AGENT_REPLY, CUSTOMER_FOLLOW_UP] })]);
      render(<StatusChecker ticketNumber="TKT-0001" token="t" />);
      await settle();
      await advance(3000);
      expect(getCalls(fetch)).toBe(2);
    });

    it('keeps asking on an escalated ticket past the handover note, and shows a person’s answer when it comes', async () => {
      const handover: TicketMessage = { ...AGENT_REPLY, content: 'A member of our support team will pick this up and reply here.' };
      const staffAnswer: TicketMessage = {
        id: 9,
        role: 'staff',
        channel: 'web_form',
        content: 'I have refunded last month.',
        created_at: '2025-03-02T11:00:00Z',
        delivery_status: 'delivered',
        author: { name: 'Sam Lee' },
      };
      const escalated = ticket({ status: 'escalated', messages: [CUSTOMER_FIRST, handover] });
      const fetch = serve([escalated, escalated, ticket({ status: 'escalated', messages: [CUSTOMER_FIRST, handover, staffAnswer] })]);
      render(<StatusChecker ticketNumber="TKT-0001" token="t" />);
      await settle();
      expect(screen.getByTestId('waiting-indicator')).toBeInTheDocument();
      await advance(3000);
      await advance(3000);
      expect(getCalls(fetch)).toBe(3);
      const last = threadMessages()[2];
      expect(last).toHaveAttribute('data-role', 'staff');
      expect(last).toHaveTextContent('Sam');
      expect(last).toHaveTextContent('I have refunded last month.');
      expect(screen.getByTestId('announcer')).toHaveTextContent('New reply from Northwind Cloud Support.');
      await advance(30_000);
      expect(getCalls(fetch)).toBe(3);
    });

    it('stops polling once the ticket is resolved', async () => {
      const fetch = serve([ticket({ status: 'resolved' })]);
      render(<StatusChecker ticketNumber="TKT-0001" token="t" />);
      await settle();
      await advance(30_000);
      expect(getCalls(fetch)).toBe(1);
    });

    it('announces a new reply politely', async () => {
      serve([ticket(), answered()]);
      render(<StatusChecker ticketNumber="TKT-0001" token="t" />);
      await settle();
      const announcer = screen.getByTestId('announcer');
      expect(announcer).toHaveAttribute('aria-live', 'polite');
      expect(announcer).toHaveTextContent('');
      await advance(3000);
      expect(announcer).toHaveTextContent('New reply from Northwind Cloud Support.');
      expect(announcer).toHaveTextContent('Ticket status: Answered.');
    });

    it('keeps trying through a failed refresh, keeping the thread on screen', async () => {
      const fetch = serve([ticket(), new TypeError('offline'), answered()]);
      render(<StatusChecker ticketNumber="TKT-0001" token="t" />);
      await settle();
      await advance(3000);
      expect(screen.getByRole('alert')).toHaveTextContent("We couldn't reach the support server.");
      expect(threadMessages()).toHaveLength(1);
      await advance(3000);
      expect(getCalls(fetch)).toBe(3);
      expect(screen.queryByRole('alert')).not.toBeInTheDocument();
      expect(threadMessages()).toHaveLength(2);
    });

    it('pauses after repeated failures and resumes when the customer asks', async () => {
      const fetch = serve([ticket(), new TypeError('offline')]);
      render(<StatusChecker ticketNumber="TKT-0001" token="t" />);
      await settle();
      await advance(3000 * 10);
      expect(getCalls(fetch)).toBe(6); // first load + 5 failed refreshes
      const user = userEvent.setup({ advanceTimers: vi.advanceTimersByTime });
      await user.click(screen.getByRole('button', { name: 'Check for updates' }));
      await settle();
      expect(getCalls(fetch)).toBe(7);
    });

    it('stops polling when it is removed from the page', async () => {
      const fetch = serve([ticket()]);
      const { unmount } = render(<StatusChecker ticketNumber="TKT-0001" token="t" />);
      await settle();
      unmount();
      await advance(30_000);
      expect(getCalls(fetch)).toBe(1);
    });
  });

  describe('follow-up replies', () => {
    it('posts the reply, shows it in the thread at once and resumes polling until the answer', async () => {
      const refreshAfterReply = deferred<Response>();
      const gets = serve(
        [
          answered(),
          refreshAfterReply.promise,
          ticket({ status: 'open', messages: [CUSTOMER_FIRST, AGENT_REPLY, CUSTOMER_FOLLOW_UP] }),
          ticket({ status: 'answered', messages: [CUSTOMER_FIRST, AGENT_REPLY, CUSTOMER_FOLLOW_UP, AGENT_SECOND] }),
        ],
        () => Promise.resolve(jsonResponse(202, { ticket_number: 'TKT-0001', status_url: '/api/v1/tickets/TKT-0001?token=t' })),
      );
      const user = userEvent.setup({ advanceTimers: vi.advanceTimersByTime });
      render(<StatusChecker ticketNumber="TKT-0001" token="t" />);
      await settle();
      expect(getCalls(gets)).toBe(1);

      await user.type(screen.getByLabelText('Add a reply'), '  Thanks! When will I see it?  ');
      await user.click(screen.getByRole('button', { name: 'Send reply' }));
      await settle();

      const postIndex = gets.mock.calls.findIndex(([, init]) => init?.method === 'POST');
      expect(callUrl(gets, postIndex)).toBe('/api/v1/tickets/TKT-0001/messages');
      expect(callAuthorization(gets, postIndex)).toBe('Bearer t');
      expect(callInit(gets, postIndex).headers).toMatchObject({ 'Content-Type': 'application/json' });
      expect(callJson(gets, postIndex)).toEqual({ message: 'Thanks! When will I see it?' });
      expect(screen.getByLabelText('Add a reply')).toHaveValue('');

      // Shown right away, while polling restarts at once.
      expect(getCalls(gets)).toBe(2);
      expect(threadMessages()).toHaveLength(3);
      expect(threadMessages()[2]).toHaveAttribute('data-role', 'customer');
      expect(threadMessages()[2]).toHaveTextContent('Thanks! When will I see it?');
      expect(screen.getByTestId('announcer')).toHaveTextContent('Your reply was sent.');

      // Still shown when the server's thread does not list it yet.
      await act(async () =>
        refreshAfterReply.resolve(jsonResponse(200, ticket({ status: 'open', messages: [CUSTOMER_FIRST, AGENT_REPLY] }))),
      );
      await settle();
      expect(threadMessages()).toHaveLength(3);
      expect(screen.getByTestId('ticket-status')).toHaveTextContent('Being worked on');

      await advance(3000);
      expect(getCalls(gets)).toBe(3);
      expect(threadMessages()).toHaveLength(3); // now the server's copy, no duplicate

      await advance(3000);
      expect(getCalls(gets)).toBe(4);
      expect(threadMessages()).toHaveLength(4);
      expect(threadMessages()[3]).toHaveAttribute('data-role', 'agent');
      expect(screen.getByTestId('ticket-status')).toHaveTextContent('Answered');

      await advance(30_000);
      expect(getCalls(gets)).toBe(4);
    });

    it('shows "Sending…" and sends a reply only once', async () => {
      const post = deferred<Response>();
      const fetch = serve([answered()], () => post.promise);
      const user = userEvent.setup({ advanceTimers: vi.advanceTimersByTime });
      render(<StatusChecker ticketNumber="TKT-0001" token="t" />);
      await settle();
      await user.type(screen.getByLabelText('Add a reply'), 'One more thing');
      const button = screen.getByRole('button', { name: 'Send reply' });
      await user.click(button);
      expect(button).toHaveTextContent('Sending…');
      expect(button).toBeDisabled();
      expect(button).toHaveAttribute('aria-busy', 'true');
      await user.click(button);
      expect(fetch.mock.calls.filter(([, init]) => init?.method === 'POST')).toHaveLength(1);
      await act(async () => post.resolve(jsonResponse(202, { ticket_number: 'TKT-0001', status_url: '' })));
      expect(screen.getByRole('button', { name: 'Send reply' })).toBeEnabled();
    });

    it('validates the reply against the follow-up schema before sending', async () => {
      const fetch = serve([answered()]);
      const user = userEvent.setup({ advanceTimers: vi.advanceTimersByTime });
      render(<StatusChecker ticketNumber="TKT-0001" token="t" />);
      await settle();
      const box = screen.getByLabelText('Add a reply');
      await user.type(box, '   ');
      await user.click(screen.getByRole('button', { name: 'Send reply' }));
      expect(box).toHaveFocus();
      expect(box).toHaveAttribute('aria-invalid', 'true');
      expect(box).toHaveAccessibleDescription(/Your reply is required\./);

      await user.clear(box);
      await user.click(box);
      await user.paste('r'.repeat(5001));
      await user.click(screen.getByRole('button', { name: 'Send reply' }));
      expect(box).toHaveAccessibleDescription(/Your reply must be at most 5000 characters/);
      expect(fetch.mock.calls.some(([, init]) => init?.method === 'POST')).toBe(false);
    });

    it('puts a 422 error on the reply box', async () => {
      serve([answered()], () =>
        Promise.resolve(jsonResponse(422, { detail: 'Invalid', errors: [{ field: 'message', message: 'Reply looks empty.' }] })),
      );
      const user = userEvent.setup({ advanceTimers: vi.advanceTimersByTime });
      render(<StatusChecker ticketNumber="TKT-0001" token="t" />);
      await settle();
      await user.type(screen.getByLabelText('Add a reply'), 'Hello?');
      await user.click(screen.getByRole('button', { name: 'Send reply' }));
      await settle();
      const box = screen.getByLabelText('Add a reply');
      expect(box).toHaveAttribute('aria-invalid', 'true');
      expect(box).toHaveAccessibleDescription(/Reply looks empty\./);
      expect(box).toHaveFocus();
      expect(box).toHaveValue('Hello?');
    });

    it('keeps the text and explains when the reply cannot be sent', async () => {
      serve([answered()], () => Promise.reject(new TypeError('Failed to fetch')));
      const user = userEvent.setup({ advanceTimers: vi.advanceTimersByTime });
      render(<StatusChecker ticketNumber="TKT-0001" token="t" />);
      await settle();
      await user.type(screen.getByLabelText('Add a reply'), 'Hello?');
      await user.click(screen.getByRole('button', { name: 'Send reply' }));
      await settle();
      expect(screen.getByRole('alert')).toHaveTextContent(
        "We couldn't reach the support server. Check your connection and try again.",
      );
      expect(screen.getByLabelText('Add a reply')).toHaveValue('Hello?');
      expect(threadMessages()).toHaveLength(2);
    });

    it("shows the server's detail when a reply is refused", async () => {
      serve([answered()], () => Promise.resolve(jsonResponse(409, { detail: 'This ticket is closed to new replies.' })));
      const user = userEvent.setup({ advanceTimers: vi.advanceTimersByTime });
      render(<StatusChecker ticketNumber="TKT-0001" token="t" />);
      await settle();
      await user.type(screen.getByLabelText('Add a reply'), 'Hello?');
      await user.click(screen.getByRole('button', { name: 'Send reply' }));
      await settle();
      expect(screen.getByRole('alert')).toHaveTextContent('This ticket is closed to new replies.');
    });

    it('says the ticket could not be found when the reply gets a 404', async () => {
      serve([answered()], () => Promise.resolve(jsonResponse(404, { detail: 'Not found' })));
      const user = userEvent.setup({ advanceTimers: vi.advanceTimersByTime });
      render(<StatusChecker ticketNumber="TKT-0001" token="t" />);
      await settle();
      await user.type(screen.getByLabelText('Add a reply'), 'Hello?');
      await user.click(screen.getByRole('button', { name: 'Send reply' }));
      await settle();
      expect(screen.getByRole('alert')).toHaveTextContent(NOT_FOUND_MESSAGE);
    });
  });

  describe('rating a resolved ticket', () => {
    const STAFF_REPLY: TicketMessage = { ...AGENT_REPLY, id: 5, role: 'staff' };

    it('offers the 1–5 rating once the ticket is resolved, and not before', async () => {
      serve([answered()]);
      const { unmount } = render(<StatusChecker ticketNumber="TKT-0001" token="t" />);
      await settle();
      expect(screen.queryByRole('group', { name: 'How did we do?' })).not.toBeInTheDocument();
      unmount();

      serve([ticket({ status: 'resolved', messages: [CUSTOMER_FIRST, STAFF_REPLY] })]);
      render(<StatusChecker ticketNumber="TKT-0001" token="t" />);
      await settle();
      expect(screen.getByRole('group', { name: 'How did we do?' })).toBeInTheDocument();
      expect(screen.getAllByRole('radio')).toHaveLength(5);
    });

    it("shows the rating already given on this page's channel", async () => {
      const ratings = [
        { channel: 'email', score: 2, rated_at: '2025-03-03T09:00:00Z' },
        { channel: 'web_form', score: 5, rated_at: '2025-03-03T09:01:00Z' },
      ];
      serve([ticket({ status: 'resolved', ratings })]);
      render(<StatusChecker ticketNumber="TKT-0001" token="t" ratingChannel="email" />);
      await settle();
      expect(screen.getByRole('radio', { name: '2 Fair' })).toBeChecked();
      expect(screen.getByTestId('rating')).toHaveAttribute('data-channel', 'email');
    });

    it('sends the rating for the channel the page was opened from', async () => {
      const fetch = serve([ticket({ status: 'resolved' })], () =>
        Promise.resolve(jsonResponse(200, { rating: { channel: 'email', score: 4, rated_at: '2025-03-03T09:00:00Z' } })),
      );
      const user = userEvent.setup({ advanceTimers: vi.advanceTimersByTime });
      render(<StatusChecker ticketNumber="TKT-0001" token="t" ratingChannel="email" />);
      await settle();
      await user.click(screen.getByRole('radio', { name: '4 Very good' }));
      await user.click(screen.getByRole('button', { name: 'Send rating' }));
      await settle();
      const post = fetch.mock.calls.findIndex(([, init]) => init?.method === 'POST');
      expect(callUrl(fetch, post)).toBe('/api/v1/tickets/TKT-0001/rating');
      expect(callJson(fetch, post)).toEqual({ score: 4, channel: 'email' });
      expect(screen.getByTestId('rating-saved')).toHaveTextContent('4 out of 5');
    });
  });
});
