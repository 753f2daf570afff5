import { describe, expect, it } from 'vitest';
import {
  ApiError,
  apiUrl,
  getTicket,
  NETWORK_ERROR_MESSAGE,
  NetworkError,
  postFollowUp,
  postRating,
  submitForm,
  tokenFromStatusUrl,
  type SupportFormPayload,
} from './api';
import { callAuthorization, callInit, callJson, callUrl, jsonResponse, stubFetch } from './test/helpers';

const PAYLOAD: SupportFormPayload = {
  name: 'Ana',
  email: 'ana@example.com',
  phone: null,
  subject: 'Invoice',
  category: 'billing',
  priority: 'medium',
  message: 'I was charged twice.',
};

async function caught(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the promise to reject');
}

describe('api client', () => {
  it('joins the API base and path without doubling slashes', () => {
    expect(apiUrl('', '/api/v1/x')).toBe('/api/v1/x');
    expect(apiUrl('https://support.example.com/', '/api/v1/x')).toBe('https://support.example.com/api/v1/x');
    expect(apiUrl('https://example.com/support//', '/api/v1/x')).toBe('https://example.com/support/api/v1/x');
  });

  it('submits the form as JSON and returns the ticket', async () => {
    const fetch = stubFetch(() =>
      Promise.resolve(
        jsonResponse(202, { ticket_number: 'TKT-0001', status_url: '/api/v1/tickets/TKT-0001?token=t0k', access_token: 't0k', status: 'received' }),
      ),
    );
    await expect(submitForm(PAYLOAD)).resolves.toEqual({
      ticket_number: 'TKT-0001',
      status_url: '/api/v1/tickets/TKT-0001?token=t0k',
      access_token: 't0k',
      status: 'received',
    });
    expect(callUrl(fetch, 0)).toBe('/api/v1/support/form');
    expect(callInit(fetch, 0)).toMatchObject({ method: 'POST', headers: { Accept: 'application/json', 'Content-Type': 'application/json' } });
    expect(callJson(fetch, 0)).toEqual(PAYLOAD);
  });

  it('turns a 422 body into an ApiError with field errors', async () => {
    stubFetch(() =>
      Promise.resolve(jsonResponse(422, { detail: 'Validation failed', errors: [{ field: 'email', message: 'Bad email' }] })),
    );
    const error = await caught(submitForm(PAYLOAD));
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status: 422, detail: 'Validation failed', fieldErrors: [{ field: 'email', message: 'Bad email' }] });
  });

  it("also understands FastAPI's default validation body", async () => {
    stubFetch(() =>
      Promise.resolve(jsonResponse(422, { detail: [{ loc: ['body', 'subject'], msg: 'String should have at least 3 characters', type: 'string_too_short' }] })),
    );
    const error = await caught(submitForm(PAYLOAD));
    expect(error).toMatchObject({
      status: 422,
      detail: 'Something went wrong on our side. Please try again in a moment.',
      fieldErrors: [{ field: 'subject', message: 'String should have at least 3 characters' }],
    });
  });

  it('raises a NetworkError with the connection message when fetch itself fails', async () => {
    stubFetch(() => Promise.reject(new TypeError('Failed to fetch')));
    const error = await caught(getTicket('TKT-0001', 't'));
    expect(error).toBeInstanceOf(NetworkError);
    expect((error as Error).message).toBe(NETWORK_ERROR_MESSAGE);
  });

  it('lets an aborted request reject as an AbortError, not a network error', async () => {
    stubFetch(() => Promise.reject(new DOMException('Aborted', 'AbortError')));
    const error = await caught(getTicket('TKT-0001', 't'));
    expect(error).not.toBeInstanceOf(NetworkError);
    expect((error as Error).name).toBe('AbortError');
  });

  it('reports a generic message for a non-JSON error page', async () => {
    stubFetch(() => Promise.resolve(new Response('Bad gateway', { status: 502 })));
    const error = await caught(getTicket('TKT-0001', 't'));
    expect(error).toMatchObject({ status: 502, detail: 'Something went wrong on our side. Please try again in a moment.' });
  });

  it('reads a ticket, tolerating missing optional fields', async () => {
    stubFetch(() =>
      Promise.resolve(
        jsonResponse(200, {
          ticket_number: 'TKT-0001',
          status: 'open',
          messages: [{ id: 'm1', role: 'agent', content: 'Hi', created_at: '2025-01-01T00:00:00Z' }, { bogus: true }],
        }),
      ),
    );
    const ticket = await getTicket('TKT-0001', 't');
    expect(ticket).toMatchObject({ ticket_number: 'TKT-0001', status: 'open', subject: '', escalation_reason: null });
    expect(ticket.messages).toEqual([
      { id: 'm1', role: 'agent', channel: '', content: 'Hi', created_at: '2025-01-01T00:00:00Z', delivery_status: null },
    ]);
  });

  it('keeps a staff message as staff, with its author, and reads any other role as the customer', async () => {
    stubFetch(() =>
      Promise.resolve(
        jsonResponse(200, {
          ticket_number: 'TKT-0001',
          status: 'escalated',
          messages: [
            { id: 1, role: 'staff', content: 'A person.', author: { id: 'u1', name: 'Sam Lee' } },
            { id: 2, role: 'system', content: 'Odd.' },
          ],
        }),
      ),
    );
    const ticket = await getTicket('TKT-0001', 'tok');
    expect(ticket.messages.map((m) => [m.role, m.author?.name])).toEqual([
      ['staff', 'Sam Lee'],
      ['customer', undefined],
    ]);
  });

  it('rejects a 200 body that is not a ticket', async () => {
    stubFetch(() => Promise.resolve(jsonResponse(200, { hello: 'world' })));
    await expect(getTicket('TKT-0001', 't')).rejects.toBeInstanceOf(ApiError);
  });

  it('posts a follow-up message with the token as a bearer token, not in the URL', async () => {
    const fetch = stubFetch(() =>
      Promise.resolve(jsonResponse(202, { ticket_number: 'TKT-0001', status_url: '/api/v1/tickets/TKT-0001?token=t' })),
    );
    await expect(postFollowUp('TKT-0001', 't', 'More info', { apiBase: 'https://s.example.com' })).resolves.toEqual({
      ticket_number: 'TKT-0001',
      status_url: '/api/v1/tickets/TKT-0001?token=t',
    });
    expect(callUrl(fetch, 0)).toBe('https://s.example.com/api/v1/tickets/TKT-0001/messages');
    expect(callAuthorization(fetch, 0)).toBe('Bearer t');
    expect(callJson(fetch, 0)).toEqual({ message: 'More info' });
  });

  it('extracts the token from a status URL', () => {
    expect(tokenFromStatusUrl('/api/v1/tickets/TKT-1?token=abc%2Bd')).toBe('abc+d');
    expect(tokenFromStatusUrl('/api/v1/tickets/TKT-1')).toBeNull();
  });

  it('posts a rating with the token and returns the stored one', async () => {
    const fetch = stubFetch(() =>
      Promise.resolve(jsonResponse(200, { rating: { channel: 'email', score: 5, rated_at: '2025-03-03T09:00:00Z' } })),
    );
    await expect(postRating('TKT-0001', 't', 5, 'email')).resolves.toEqual({
      channel: 'email',
      score: 5,
      rated_at: '2025-03-03T09:00:00Z',
    });
    expect(callUrl(fetch, 0)).toBe('/api/v1/tickets/TKT-0001/rating');
    expect(callAuthorization(fetch, 0)).toBe('Bearer t');
    expect(callJson(fetch, 0)).toEqual({ score: 5, channel: 'email' });
  });

  it("reads a ticket's ratings, dropping malformed ones", async () => {
    stubFetch(() =>
      Promise.resolve(
        jsonResponse(200, {
          ticket_number: 'TKT-0001',
          status: 'resolved',
          messages: [],
          ratings: [{ channel: 'web_form', score: 4, rated_at: 'x' }, { channel: 'email' }, 'nonsense'],
        }),
      ),
    );
    const ticket = await getTicket('TKT-0001', 't');
    expect(ticket.ratings).toEqual([{ channel: 'web_form', score: 4, rated_at: 'x' }]);
  });
});
