import { act, screen } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { callAuthorization, callUrl, jsonResponse, stubFetch } from './test/helpers';

const TICKET = {
  ticket_number: 'TKT-0001',
  status: 'answered',
  channel: 'web_form',
  subject: 'Hello',
  category: 'general',
  priority: 'low',
  created_at: '2025-03-02T10:00:00Z',
  updated_at: '2025-03-02T10:00:00Z',
  escalation_reason: null,
  messages: [
    { id: 1, role: 'customer', channel: 'web_form', content: 'Hi there', created_at: '2025-03-02T10:00:00Z', delivery_status: null },
    { id: 2, role: 'agent', channel: 'email', content: 'Hello!', created_at: '2025-03-02T10:01:00Z', delivery_status: 'sent' },
  ],
};

async function boot() {
  vi.resetModules();
  await act(async () => {
    await import('./main');
  });
}

beforeEach(() => {
  document.body.innerHTML = '';
});

afterEach(() => {
  document.body.innerHTML = '';
});

describe('mounting (main.tsx)', () => {
  it('mounts into #fte-support and uses its data-api-base when embedded', async () => {
    document.body.innerHTML = '<div id="root"></div><div id="fte-support" data-api-base="https://support.example.com"></div>';
    window.history.replaceState(null, '', '/contact?ticket=TKT-0001#token=tok');
    const fetch = stubFetch(() => Promise.resolve(jsonResponse(200, TICKET)));
    await boot();
    expect(await screen.findByTestId('ticket-status')).toHaveTextContent('Answered');
    expect(callUrl(fetch, 0)).toBe('https://support.example.com/api/v1/tickets/TKT-0001');
    expect(callAuthorization(fetch, 0)).toBe('Bearer tok');
    expect(document.getElementById('fte-support')).not.toBeEmptyDOMElement();
    expect(document.getElementById('root')).toBeEmptyDOMElement();
  });

  it('mounts into #root and calls the API on the same origin otherwise', async () => {
    document.body.innerHTML = '<div id="root"></div>';
    window.history.replaceState(null, '', '/?ticket=TKT-0001#token=tok');
    const fetch = stubFetch(() => Promise.resolve(jsonResponse(200, TICKET)));
    await boot();
    expect(await screen.findByTestId('ticket-status')).toBeInTheDocument();
    expect(callUrl(fetch, 0)).toBe('/api/v1/tickets/TKT-0001');
    expect(callAuthorization(fetch, 0)).toBe('Bearer tok');
    expect(document.querySelector('main')).not.toBeNull();
  });
});
