import { screen, within } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { jsonResponse } from '../test/helpers';
import { SESSION_ENDED_MESSAGE, WRONG_PASSWORD_MESSAGE } from './SignIn';
import { CSRF, FakeStaffServer, ME, PASSWORD, item } from './test/fakeStaffServer';
import { advance, renderInbox, restoreVisibility, setHidden, settle, useFakeClock } from './test/render';

let server: FakeStaffServer;

beforeEach(() => {
  useFakeClock();
  server = new FakeStaffServer();
});

afterEach(() => {
  restoreVisibility();
  vi.useRealTimers();
});

async function signInAs(user: Awaited<ReturnType<typeof renderInbox>>['user'], email = ME.email, password = PASSWORD) {
  await user.type(screen.getByLabelText('Email'), email);
  await user.type(screen.getByLabelText('Password'), password);
  await user.keyboard('{Enter}');
  await settle();
}

describe('signing in', () => {
  it('asks for the session first and shows the sign-in form without one', async () => {
    await renderInbox();
    expect(server.calls('GET', '/api/v1/staff/session')).toHaveLength(1);
    expect(screen.getByRole('heading', { name: 'Sign in to the support inbox' })).toBeInTheDocument();
    expect(screen.getByLabelText('Email')).toHaveAttribute('autocomplete', 'username');
    expect(screen.getByLabelText('Password')).toHaveAttribute('type', 'password');
    expect(screen.queryByRole('button', { name: 'Sign out' })).toBeNull();
  });

  it('goes straight to the queue when a session is already open', async () => {
    server.signedIn = true;
    await renderInbox();
    expect(screen.getByRole('heading', { name: 'Waiting for an answer' })).toBeInTheDocument();
    expect(screen.getByTestId('signed-in-as')).toHaveTextContent('Signed in as Sam Lee');
  });

  it('signs in with Enter, sends the session cookie, and opens the queue with focus on its heading', async () => {
    const { user } = await renderInbox();
    await signInAs(user);
    const [signIn] = server.calls('POST', '/api/v1/staff/session');
    expect(signIn?.body).toEqual({ email: ME.email, password: PASSWORD });
    expect(signIn?.credentials).toBe('same-origin');
    expect(signIn?.headers['X-CSRF-Token']).toBeUndefined();
    const heading = screen.getByRole('heading', { name: 'Waiting for an answer' });
    expect(heading).toHaveFocus();
    expect(server.calls('GET', '/api/v1/staff/tickets?view=waiting')).toHaveLength(1);
    expect(server.requests.every((r) => r.credentials === 'same-origin')).toBe(true);
  });

  it('says the email or password is wrong on a 401, empties the password and focuses it', async () => {
    const { user } = await renderInbox();
    await signInAs(user, ME.email, 'not it');
    expect(screen.getByRole('alert')).toHaveTextContent(WRONG_PASSWORD_MESSAGE);
    expect(screen.getByLabelText('Password')).toHaveValue('');
    expect(screen.getByLabelText('Password')).toHaveFocus();
    expect(screen.getByLabelText('Email')).toHaveValue(ME.email);
  });

  it('says signing in is locked, and for how long, on a 429 with Retry-After', async () => {
    server.signInAnswer = () =>
      new Response(JSON.stringify({ detail: 'too many attempts' }), {
        status: 429,
        headers: { 'Content-Type': 'application/json', 'Retry-After': '900' },
      });
    const { user } = await renderInbox();
    await signInAs(user);
    expect(screen.getByRole('alert')).toHaveTextContent('Too many failed sign-in attempts');
    expect(screen.getByRole('alert')).toHaveTextContent('try again in 15 minutes');
  });

  it('says "later" when a 429 gives no Retry-After', async () => {
    server.signInAnswer = () => jsonResponse(429, { detail: 'too many attempts' });
    const { user } = await renderInbox();
    await signInAs(user);
    expect(screen.getByRole('alert')).toHaveTextContent('try again later');
  });

  it('shows a 422 next to the field it is about', async () => {
    server.signInAnswer = () =>
      jsonResponse(422, { detail: 'Check the highlighted fields.', errors: [{ field: 'body.email', message: 'Not an email address.' }] });
    const { user } = await renderInbox();
    await signInAs(user, 'sam@', 'x');
    expect(screen.getByLabelText('Email')).toHaveAttribute('aria-invalid', 'true');
    expect(screen.getByLabelText('Email')).toHaveAccessibleDescription(/Not an email address/);
    expect(screen.getByRole('alert')).toHaveTextContent('Check the highlighted fields.');
  });

  it('checks both fields are filled before asking the server', async () => {
    const { user } = await renderInbox();
    await user.click(screen.getByRole('button', { name: 'Sign in' }));
    expect(screen.getByLabelText('Email')).toHaveFocus();
    expect(screen.getByLabelText('Email')).toHaveAccessibleDescription(/Enter your email address/);
    expect(screen.getByLabelText('Password')).toHaveAccessibleDescription(/Enter your password/);
    expect(server.calls('POST')).toHaveLength(0);
  });

  it('says when the server cannot be reached', async () => {
    const { user } = await renderInbox();
    server.fetch.mockImplementationOnce(() => Promise.reject(new TypeError('Failed to fetch')));
    await signInAs(user);
    expect(screen.getByRole('alert')).toHaveTextContent("couldn't reach the support server");
  });

  it('offers to try again when the session check itself cannot reach the server', async () => {
    server.fetch.mockImplementationOnce(() => Promise.reject(new TypeError('Failed to fetch')));
    const { user } = await renderInbox();
    expect(screen.getByRole('alert')).toHaveTextContent("couldn't reach the support server");
    await user.click(screen.getByRole('button', { name: 'Try again' }));
    await settle();
    expect(screen.getByRole('heading', { name: 'Sign in to the support inbox' })).toBeInTheDocument();
  });
});

describe('the session ending', () => {
  it('goes back to sign-in, saying why, when the queue answers 401', async () => {
    server.signedIn = true;
    await renderInbox();
    expect(screen.getAllByTestId('queue-row')).toHaveLength(1);
    server.signedIn = false; // expired on the server
    await advance(5000);
    expect(screen.getByRole('heading', { name: 'Sign in to the support inbox' })).toHaveFocus();
    expect(screen.getByRole('status')).toHaveTextContent(SESSION_ENDED_MESSAGE);
    const polls = server.calls('GET', '/api/v1/staff/tickets').length;
    await advance(20_000);
    expect(server.calls('GET', '/api/v1/staff/tickets')).toHaveLength(polls); // polling stopped
  });

  it('goes back to sign-in when an action on a ticket answers 401', async () => {
    server.signedIn = true;
    const { user } = await renderInbox('/staff/?ticket=TKT-0001');
    server.signedIn = false;
    await user.click(screen.getByRole('button', { name: 'Resolve' }));
    await settle();
    expect(screen.getByRole('heading', { name: 'Sign in to the support inbox' })).toBeInTheDocument();
  });

  it('goes back to sign-in when sending an answer answers 401, and the ticket reopens after signing in', async () => {
    server.signedIn = true;
    const { user } = await renderInbox('/staff/?ticket=TKT-0001');
    server.signedIn = false;
    await user.type(screen.getByLabelText('Answer the customer'), 'Refunded.');
    await user.click(screen.getByRole('button', { name: 'Send answer' }));
    await settle();
    expect(screen.getByRole('heading', { name: 'Sign in to the support inbox' })).toBeInTheDocument();
    await signInAs(user);
    expect(screen.getByRole('heading', { name: 'Ticket TKT-0001' })).toBeInTheDocument();
  });
});

describe('signing out', () => {
  it('ends the session with the CSRF token, shows sign-in and stops polling', async () => {
    server.signedIn = true;
    const { user } = await renderInbox();
    await user.click(screen.getByRole('button', { name: 'Sign out' }));
    await settle();
    const [signOut] = server.calls('DELETE', '/api/v1/staff/session');
    expect(signOut?.headers['X-CSRF-Token']).toBe(CSRF);
    expect(screen.getByRole('heading', { name: 'Sign in to the support inbox' })).toHaveFocus();
    expect(screen.getByRole('status')).toHaveTextContent('You are signed out.');
    const polls = server.calls('GET', '/api/v1/staff/tickets').length;
    await advance(20_000);
    expect(server.calls('GET', '/api/v1/staff/tickets')).toHaveLength(polls);
  });

  it('stays signed in, and says so, when signing out fails', async () => {
    server.signedIn = true;
    const { user } = await renderInbox();
    server.fetch.mockImplementationOnce(() => Promise.reject(new TypeError('Failed to fetch')));
    await user.click(screen.getByRole('button', { name: 'Sign out' }));
    await settle();
    expect(screen.getByRole('alert')).toHaveTextContent('You are still signed in');
    expect(screen.getByRole('button', { name: 'Sign out' })).toBeInTheDocument();
  });
});

describe('every state change carries the CSRF token', () => {
  it('sends X-CSRF-Token on sign-out, answer, note, assign, resolve and reopen, and on nothing else', async () => {
    server.signedIn = true;
    const { user } = await renderInbox('/staff/?ticket=TKT-0001');
    await user.type(screen.getByLabelText('Answer the customer'), 'Refund done.');
    await user.click(screen.getByRole('button', { name: 'Send answer' }));
    await settle();
    await user.type(screen.getByLabelText('Add a note'), 'Checked with billing.');
    await user.click(screen.getByRole('button', { name: 'Add note' }));
    await settle();
    await user.click(screen.getByRole('button', { name: 'Assign to me' }));
    await settle();
    await user.click(screen.getByRole('button', { name: 'Resolve' }));
    await settle();
    await user.click(screen.getByRole('button', { name: 'Reopen' }));
    await settle();
    await user.click(screen.getByRole('button', { name: 'Sign out' }));
    await settle();

    const changes = server.requests.filter((r) => r.method !== 'GET');
    expect(changes.map((r) => `${r.method} ${r.path}`)).toEqual([
      'POST /api/v1/staff/tickets/TKT-0001/replies',
      'POST /api/v1/staff/tickets/TKT-0001/notes',
      'POST /api/v1/staff/tickets/TKT-0001/assign',
      'POST /api/v1/staff/tickets/TKT-0001/resolve',
      'POST /api/v1/staff/tickets/TKT-0001/reopen',
      'DELETE /api/v1/staff/session',
    ]);
    for (const change of changes) expect(change.headers['X-CSRF-Token']).toBe(CSRF);
    for (const read of server.calls('GET')) expect(read.headers['X-CSRF-Token']).toBeUndefined();
  });

  it('shows the server’s word when a token is refused (403) and stays signed in', async () => {
    server.signedIn = true;
    const { user } = await renderInbox('/staff/?ticket=TKT-0001');
    server.fetch.mockImplementationOnce(() => Promise.resolve(jsonResponse(403, { detail: 'missing or wrong CSRF token' })));
    await user.click(screen.getByRole('button', { name: 'Resolve' }));
    await settle();
    expect(screen.getByRole('alert')).toHaveTextContent('missing or wrong CSRF token');
    expect(screen.getByRole('heading', { name: 'Ticket TKT-0001' })).toBeInTheDocument();
  });
});

describe('polling', () => {
  it('refreshes the queue every 5 s and shows new tickets without a reload', async () => {
    server.signedIn = true;
    await renderInbox();
    expect(screen.getAllByTestId('queue-row')).toHaveLength(1);
    server.tickets = [item(), item({ ticket_number: 'TKT-0002', subject: 'Invoice twice', waiting_since: '2025-03-02T11:50:00Z' })];
    server.counts = { waiting: 2, overdue: 0 };
    await advance(4999);
    expect(screen.getAllByTestId('queue-row')).toHaveLength(1);
    await advance(1);
    expect(screen.getAllByTestId('queue-row')).toHaveLength(2);
    expect(screen.getByTestId('count-waiting')).toHaveTextContent('2 waiting');
  });

  it('stops while the page is hidden and refreshes at once when it is shown again', async () => {
    server.signedIn = true;
    await renderInbox();
    await setHidden(true);
    const polls = server.calls('GET', '/api/v1/staff/tickets').length;
    await advance(30_000);
    expect(server.calls('GET', '/api/v1/staff/tickets')).toHaveLength(polls);
    server.tickets = [];
    server.counts = { waiting: 0, overdue: 0 };
    await setHidden(false);
    expect(server.calls('GET', '/api/v1/staff/tickets')).toHaveLength(polls + 1);
    expect(screen.getByTestId('queue-empty')).toBeInTheDocument();
  });

  it('refreshes the open ticket every 5 s: a new customer message appears and is announced', async () => {
    server.signedIn = true;
    await renderInbox('/staff/?ticket=TKT-0001');
    expect(screen.getAllByTestId('thread-message')).toHaveLength(2);
    server.history['TKT-0001']?.push({
      id: 'm9',
      ticket_number: 'TKT-0001',
      role: 'customer',
      channel: 'email',
      content: 'Any news?',
      created_at: '2025-03-02T11:59:00Z',
      delivery_status: 'received',
      author: null,
    });
    await advance(5000);
    const messages = screen.getAllByTestId('thread-message');
    expect(messages).toHaveLength(3);
    expect(messages[2]).toHaveTextContent('via Email');
    expect(screen.getByTestId('announcer')).toHaveTextContent('New message from the customer.');
  });
});

describe('navigating', () => {
  it('opens a ticket from the queue and goes back, focus on each heading', async () => {
    server.signedIn = true;
    const { user } = await renderInbox();
    const row = screen.getByTestId('queue-row');
    await user.click(within(row).getByRole('link', { name: /TKT-0001/ }));
    await settle();
    expect(window.location.search).toBe('?ticket=TKT-0001');
    expect(screen.getByRole('heading', { name: 'Ticket TKT-0001' })).toHaveFocus();
    await user.click(screen.getByRole('link', { name: 'Back to the queue' }));
    await settle();
    expect(screen.getByRole('heading', { name: 'Waiting for an answer' })).toHaveFocus();
  });

  it('switches between the waiting, mine and all queues', async () => {
    server.signedIn = true;
    const { user } = await renderInbox();
    const tabs = screen.getByRole('navigation', { name: 'Queues' });
    expect(within(tabs).getByRole('link', { name: 'Waiting' })).toHaveAttribute('aria-current', 'page');
    await user.click(within(tabs).getByRole('link', { name: 'Mine' }));
    await settle();
    expect(screen.getByRole('heading', { name: 'Assigned to me' })).toBeInTheDocument();
    expect(server.calls('GET', '/api/v1/staff/tickets?view=mine')).toHaveLength(1);
    await user.click(within(screen.getByRole('navigation', { name: 'Queues' })).getByRole('link', { name: 'All' }));
    await settle();
    expect(server.calls('GET', '/api/v1/staff/tickets?view=all')).toHaveLength(1);
  });
});
