import { act, render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { App } from './App';
import { hrefFor, parseRoute, ratingChannelOf, withTokenInFragment } from './routing';
import { callAuthorization, callUrl, jsonResponse, stubFetch } from './test/helpers';

const ANSWERED = {
  ticket_number: 'TKT-0001',
  status: 'answered',
  channel: 'web_form',
  subject: 'Invoice is wrong',
  category: 'billing',
  priority: 'high',
  created_at: '2025-03-02T10:00:00Z',
  updated_at: '2025-03-02T10:00:20Z',
  escalation_reason: null,
  messages: [
    { id: 1, role: 'customer', channel: 'web_form', content: 'Charged twice.', created_at: '2025-03-02T10:00:00Z', delivery_status: null },
    { id: 2, role: 'agent', channel: 'web_form', content: 'Refunded.', created_at: '2025-03-02T10:00:20Z', delivery_status: 'sent' },
  ],
};

function visit(url: string) {
  window.history.replaceState(null, '', url);
}

describe('routing', () => {
  it('maps the URL query and the token in the fragment to a view', () => {
    expect(parseRoute('')).toEqual({ view: 'form' });
    expect(parseRoute('?utm_source=mail')).toEqual({ view: 'form' });
    expect(parseRoute('?ticket=TKT-0001', '#token=abc')).toEqual({ view: 'status', ticket: 'TKT-0001', token: 'abc' });
    expect(parseRoute('?ticket=TKT-0001', '#token=a+b%2Bc')).toEqual({ view: 'status', ticket: 'TKT-0001', token: 'a b+c' });
    expect(parseRoute('?ticket=TKT-0001&token=old', '#token=new')).toEqual({ view: 'status', ticket: 'TKT-0001', token: 'new' });
    expect(parseRoute('?ticket=TKT-0001&token=abc')).toEqual({ view: 'status', ticket: 'TKT-0001', token: 'abc' });
    expect(parseRoute('?ticket=TKT-0001', '#faq')).toEqual({ view: 'lookup', ticket: 'TKT-0001', token: '' });
    expect(parseRoute('?view=status')).toEqual({ view: 'lookup', ticket: '', token: '' });
    expect(parseRoute('?ticket=TKT-0001')).toEqual({ view: 'lookup', ticket: 'TKT-0001', token: '' });
  });

  it("builds links with the token in the fragment that keep the host page's own query parameters", () => {
    const location = { pathname: '/help/', search: '?lang=en&ticket=OLD&token=old' };
    expect(hrefFor({ view: 'status', ticket: 'TKT-0002', token: 'a b+c' }, location)).toBe(
      '/help/?lang=en&ticket=TKT-0002#token=a+b%2Bc',
    );
    expect(hrefFor({ view: 'form' }, location)).toBe('/help/?lang=en');
    expect(hrefFor({ view: 'lookup', ticket: '', token: '' }, { pathname: '/', search: '' })).toBe('/?view=status');
  });
});

describe('the rating link of our email', () => {
  it('says the rating comes from the email only when the link says so', () => {
    expect(ratingChannelOf('?ticket=TKT-0001&rate=email')).toBe('email');
    expect(ratingChannelOf('?ticket=TKT-0001')).toBe('web_form');
    expect(ratingChannelOf('?ticket=TKT-0001&rate=whatsapp')).toBe('web_form');
  });

  it('opens the status page, the rate parameter not taken for a host page parameter', () => {
    expect(parseRoute('?ticket=TKT-0001&rate=email', '#token=abc')).toEqual({ view: 'status', ticket: 'TKT-0001', token: 'abc' });
    expect(hrefFor({ view: 'form' }, { pathname: '/', search: '?rate=email&lang=en' })).toBe('/?lang=en');
  });
});

describe('moving an old link\'s token into the fragment', () => {
  it('takes ?token= out of the query and into the fragment', () => {
    expect(withTokenInFragment({ pathname: '/', search: '?ticket=T-1&token=a%2Bb', hash: '' })).toBe('/?ticket=T-1#token=a%2Bb');
    expect(withTokenInFragment({ pathname: '/p', search: '?token=x', hash: '' })).toBe('/p#token=x');
  });

  it('keeps a token already in the fragment, and leaves links without ?token= alone', () => {
    expect(withTokenInFragment({ pathname: '/', search: '?ticket=T-1&token=old', hash: '#token=new' })).toBe('/?ticket=T-1#token=new');
    expect(withTokenInFragment({ pathname: '/', search: '?ticket=T-1', hash: '#token=x' })).toBeNull();
    expect(withTokenInFragment({ pathname: '/', search: '?ticket=T-1&token=', hash: '' })).toBe('/?ticket=T-1');
  });
});

describe('App', () => {
  it('shows the support form at /', () => {
    visit('/');
    render(<App />);
    expect(screen.getByRole('heading', { level: 1, name: 'How can we help?' })).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Send message' })).toBeInTheDocument();
    expect(screen.getByText('Northwind Cloud')).toBeInTheDocument();
  });

  it('shows the ticket status for ?ticket=…&token=…', async () => {
    visit('/?ticket=TKT-0001#token=secret');
    const fetch = stubFetch(() => Promise.resolve(jsonResponse(200, ANSWERED)));
    render(<App apiBase="https://support.example.com" />);
    expect(await screen.findByTestId('ticket-status')).toHaveTextContent('Answered');
    expect(callUrl(fetch, 0)).toBe('https://support.example.com/api/v1/tickets/TKT-0001');
    expect(callAuthorization(fetch, 0)).toBe('Bearer secret');
    expect(window.location.search).toBe('?ticket=TKT-0001');
  });

  it('opens the status page in place from the link shown after sending the form', async () => {
    visit('/');
    const fetch = stubFetch((_url, init) =>
      Promise.resolve(
        init?.method === 'POST'
          ? jsonResponse(202, { ticket_number: 'TKT-0001', status_url: '/api/v1/tickets/TKT-0001?token=tok', access_token: 'tok', status: 'received' })
          : jsonResponse(200, ANSWERED),
      ),
    );
    const user = userEvent.setup({ delay: null });
    render(<App />);
    await user.type(screen.getByLabelText('Name'), 'Ana');
    await user.type(screen.getByLabelText('Email'), 'ana@example.com');
    await user.type(screen.getByLabelText('Subject'), 'Invoice');
    await user.type(screen.getByLabelText('Message'), 'I was charged twice this month.');
    await user.click(screen.getByRole('button', { name: 'Send message' }));
    await user.click(await screen.findByTestId('status-link'));

    expect(window.location.search).toBe('?ticket=TKT-0001');
    expect(window.location.hash).toBe('#token=tok');
    expect(await screen.findByTestId('ticket-status')).toHaveTextContent('Answered');
    expect(screen.getByRole('heading', { level: 1, name: 'Ticket TKT-0001' })).toHaveFocus();
    expect(callUrl(fetch, 1)).toBe('/api/v1/tickets/TKT-0001');
    expect(callAuthorization(fetch, 1)).toBe('Bearer tok');
  });

  it('asks for the ticket number and token when they are missing, then opens the ticket', async () => {
    visit('/?view=status');
    stubFetch(() => Promise.resolve(jsonResponse(200, ANSWERED)));
    const user = userEvent.setup({ delay: null });
    render(<App />);
    expect(screen.getByRole('heading', { name: 'Check a ticket' })).toBeInTheDocument();
    await user.click(screen.getByRole('button', { name: 'Check status' }));
    expect(screen.getByLabelText('Ticket number')).toHaveFocus();
    expect(screen.getByLabelText('Ticket number')).toHaveAccessibleDescription(/Ticket number is required\./);
    expect(screen.getByLabelText('Access token')).toHaveAttribute('aria-invalid', 'true');

    await user.type(screen.getByLabelText('Ticket number'), ' TKT-0001 ');
    await user.type(screen.getByLabelText('Access token'), 'secret');
    await user.click(screen.getByRole('button', { name: 'Check status' }));
    expect(window.location.search).toBe('?ticket=TKT-0001');
    expect(window.location.hash).toBe('#token=secret');
    expect(await screen.findByTestId('ticket-status')).toHaveTextContent('Answered');
  });

  it('moves the token of an old ?token= link into the fragment, keeping the history entry', async () => {
    visit('/help?lang=en&ticket=TKT-0001&token=secret');
    const length = window.history.length;
    const fetch = stubFetch(() => Promise.resolve(jsonResponse(200, ANSWERED)));
    render(<App />);
    expect(window.location.search).toBe('?lang=en&ticket=TKT-0001');
    expect(window.location.hash).toBe('#token=secret');
    expect(window.history.length).toBe(length);
    expect(await screen.findByTestId('ticket-status')).toHaveTextContent('Answered');
    expect(callUrl(fetch, 0)).toBe('/api/v1/tickets/TKT-0001');
    expect(callAuthorization(fetch, 0)).toBe('Bearer secret');
  });

  it('opens a ticket when its token is written into the fragment by hand', async () => {
    visit('/?ticket=TKT-0001');
    stubFetch(() => Promise.resolve(jsonResponse(200, ANSWERED)));
    render(<App />);
    expect(screen.getByRole('heading', { name: 'Check a ticket' })).toBeInTheDocument();
    await act(async () => {
      window.history.replaceState(null, '', '/?ticket=TKT-0001#token=secret');
      window.dispatchEvent(new HashChangeEvent('hashchange'));
    });
    expect(await screen.findByTestId('ticket-status')).toHaveTextContent('Answered');
  });

  it('pre-fills the lookup form with a ticket number from the URL', () => {
    visit('/?ticket=TKT-0007');
    render(<App />);
    expect(screen.getByLabelText('Ticket number')).toHaveValue('TKT-0007');
    expect(screen.getByLabelText('Access token')).toHaveValue('');
  });

  it('follows the browser back button', async () => {
    visit('/');
    render(<App />);
    const user = userEvent.setup({ delay: null });
    await user.click(screen.getByRole('link', { name: 'Check a ticket' }));
    expect(screen.getByRole('heading', { name: 'Check a ticket' })).toBeInTheDocument();
    await act(async () => {
      window.history.replaceState(null, '', '/');
      window.dispatchEvent(new PopStateEvent('popstate'));
    });
    expect(screen.getByRole('heading', { name: 'How can we help?' })).toBeInTheDocument();
  });

  it('uses a labelled region instead of <main> when embedded', () => {
    visit('/');
    const { container } = render(<App embedded />);
    expect(container.querySelector('main')).toBeNull();
    expect(screen.getByRole('region', { name: 'Northwind Cloud Support' })).toBeInTheDocument();
  });
});
