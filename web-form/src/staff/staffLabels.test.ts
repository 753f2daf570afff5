import { describe, expect, it } from 'vitest';
import { retryAfterSeconds } from './staffApi';
import { describeAction, formatDuration, reasonLabel, slaBadge, waitingFor } from './staffLabels';
import { lockedMessage, waitText } from './SignIn';
import { parseStaffRoute, staffHref } from './staffRouting';

const NOW = Date.parse('2025-03-02T12:00:00Z');
const at = (minutes: number) => new Date(NOW + minutes * 60_000).toISOString();

describe('durations', () => {
  it('reads as seconds, minutes, hours and days', () => {
    expect(formatDuration(59_000)).toBe('59 s');
    expect(formatDuration(60_000)).toBe('1 min');
    expect(formatDuration(3 * 3600_000)).toBe('3 h');
    expect(formatDuration(3 * 3600_000 + 5 * 60_000)).toBe('3 h 5 min');
    expect(formatDuration(50 * 3600_000)).toBe('2 d 2 h');
    expect(formatDuration(-5000)).toBe('0 s');
  });

  it('leaves an unreadable waiting time blank', () => {
    expect(waitingFor('not a time', NOW)).toBe('');
    expect(waitingFor(at(-90), NOW)).toBe('1 h 30 min');
  });
});

describe('the SLA badge', () => {
  it('shows the first-reply clock first, then the resolution clock', () => {
    expect(slaBadge({ first_response_due: at(90), resolution_due: at(600), overdue: false }, NOW)).toEqual({
      text: 'First reply due in 1 h 30 min',
      tone: 'neutral',
      due: at(90),
    });
    expect(slaBadge({ first_response_due: null, resolution_due: at(20), overdue: false }, NOW)).toEqual({
      text: 'Resolution due in 20 min',
      tone: 'attention',
      due: at(20),
    });
  });

  it('is overdue when the server says so or the clock has run out', () => {
    expect(slaBadge({ first_response_due: at(30), resolution_due: null, overdue: true }, NOW).text).toBe('Overdue');
    expect(slaBadge({ first_response_due: at(-1), resolution_due: null, overdue: false }, NOW).tone).toBe('danger');
    expect(slaBadge({ first_response_due: null, resolution_due: null, overdue: false }, NOW).text).toBe('No SLA');
  });
});

describe('codes as words', () => {
  it('names every reason the agent hands over with, and humanises a new one', () => {
    expect(reasonLabel('negative_sentiment')).toBe('Frustrated customer');
    expect(reasonLabel('kb_miss')).toBe('Not in the knowledge base');
    expect(reasonLabel('brand_new_reason')).toBe('Brand new reason');
    expect(reasonLabel(null)).toBe('—');
  });

  it('describes each staff action as the API records it', () => {
    const entry = (action: string, detail: Record<string, unknown> = {}) => ({
      action,
      detail,
      staff: { id: 'u1', name: 'Sam' },
      created_at: '',
    });
    const nameOf = (id: string) => ({ u2: 'Ria Patel' })[id];
    expect(describeAction(entry('assigned', { to: 'u2' }), nameOf)).toBe('assigned the ticket to Ria Patel');
    expect(describeAction(entry('assigned', { to: 'u9' }), nameOf)).toBe('assigned the ticket to a colleague');
    expect(describeAction(entry('assigned', { to: 'u1' }), nameOf)).toBe('took the ticket');
    expect(describeAction(entry('assigned', { to: null }))).toBe('unassigned the ticket');
    expect(describeAction(entry('noted', { private: true }))).toBe('added a private note');
    expect(describeAction(entry('noted', { private: false }))).toBe('added a note');
    expect(describeAction(entry('answered', { message_id: 'm' }))).toBe('answered the customer');
    expect(describeAction(entry('resolved'))).toBe('resolved the ticket');
    expect(describeAction(entry('reopened'))).toBe('reopened the ticket');
    expect(describeAction(entry('merged_tickets'))).toBe('merged tickets');
  });
});

describe('a lock-out', () => {
  it('reads Retry-After as seconds or as an HTTP date', () => {
    expect(retryAfterSeconds('120')).toBe(120);
    expect(retryAfterSeconds(new Date(NOW + 30_000).toUTCString(), NOW)).toBe(30);
    expect(retryAfterSeconds(null)).toBeNull();
    expect(retryAfterSeconds('soon')).toBeNull();
  });

  it('says how long to wait in words', () => {
    expect(waitText(1)).toBe('1 second');
    expect(waitText(45)).toBe('45 seconds');
    expect(waitText(61)).toBe('2 minutes');
    expect(waitText(3600)).toBe('1 hour');
    expect(waitText(7200)).toBe('2 hours');
    expect(lockedMessage(60)).toContain('try again in 1 minute.');
  });
});

describe('inbox routes', () => {
  it('reads the queue view and the ticket from the query string', () => {
    expect(parseStaffRoute('')).toEqual({ view: 'queue', queue: 'waiting' });
    expect(parseStaffRoute('?view=mine')).toEqual({ view: 'queue', queue: 'mine' });
    expect(parseStaffRoute('?view=nonsense')).toEqual({ view: 'queue', queue: 'waiting' });
    expect(parseStaffRoute('?ticket=TKT-0009&view=all')).toEqual({ view: 'ticket', ticket: 'TKT-0009' });
  });

  it('builds hrefs on the page’s own path', () => {
    expect(staffHref({ view: 'ticket', ticket: 'TKT 1' }, '/staff/')).toBe('/staff/?ticket=TKT+1');
    expect(staffHref({ view: 'queue', queue: 'all' }, '/staff/')).toBe('/staff/?view=all');
    expect(staffHref({ view: 'queue', queue: 'waiting' }, '/staff/')).toBe('/staff/');
  });
});
