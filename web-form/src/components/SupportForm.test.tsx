import { act, fireEvent, render, screen, within } from '@testing-library/react';
import userEvent, { type UserEvent } from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { NETWORK_ERROR_MESSAGE } from '../api';
import supportFormSchema from '../schema/support-form.schema.json';
import { callInit, callJson, callUrl, deferred, jsonResponse, stubFetch } from '../test/helpers';
import { SupportForm } from './SupportForm';

const ACCEPTED = {
  ticket_number: 'TKT-0001',
  status_url: '/api/v1/tickets/TKT-0001?token=secret-token',
  access_token: 'secret-token',
  status: 'received',
};

function field(label: string | RegExp) {
  return screen.getByLabelText(label);
}

async function fillValidForm(user: UserEvent) {
  await user.type(field('Name'), 'Ana Lima');
  await user.type(field('Email'), 'ana@example.com');
  await user.type(field('Subject'), 'Invoice is wrong');
  await user.selectOptions(field('Category'), 'billing');
  await user.selectOptions(field('Priority'), 'high');
  await user.type(field('Message'), 'My March invoice charges me twice for the Pro plan.');
}

function sendButton() {
  return screen.getByRole('button', { name: /send message|sending/i });
}

function errorTextOf(control: HTMLElement): string {
  const ids = (control.getAttribute('aria-describedby') ?? '').split(' ').filter(Boolean);
  const error = ids.map((id) => document.getElementById(id)).find((node) => node?.className.includes('field__error'));
  return error?.textContent?.replace('⚠', '').trim() ?? '';
}

describe('SupportForm', () => {
  describe('fields', () => {
    it('shows the labelled fields and a "Send message" button', () => {
      render(<SupportForm />);
      for (const label of ['Name', 'Email', 'Phone (optional)', 'Subject', 'Category', 'Priority', 'Message']) {
        expect(screen.getByLabelText(label)).toBeInTheDocument();
      }
      expect(screen.getByRole('button', { name: 'Send message' })).toBeEnabled();
    });

    it('offers exactly the category and priority options of the schema, preselecting the defaults', () => {
      render(<SupportForm />);
      const category = field('Category') as HTMLSelectElement;
      const priority = field('Priority') as HTMLSelectElement;
      expect(Array.from(category.options, (option) => option.value)).toEqual(supportFormSchema.properties.category.enum);
      expect(Array.from(priority.options, (option) => option.value)).toEqual(supportFormSchema.properties.priority.enum);
      expect(category.value).toBe(supportFormSchema.properties.category.default);
      expect(priority.value).toBe(supportFormSchema.properties.priority.default);
    });

    it('marks required fields as required for assistive technology and phone as not', () => {
      render(<SupportForm />);
      for (const label of ['Name', 'Email', 'Subject', 'Message']) {
        expect(field(label)).toHaveAttribute('aria-required', 'true');
      }
      expect(field('Phone (optional)')).not.toHaveAttribute('aria-required');
    });
  });

  describe('validation display', () => {
    it('does not show an error while the customer is still typing in a field', async () => {
      const user = userEvent.setup({ delay: null });
      render(<SupportForm />);
      await user.type(field('Subject'), 'a');
      expect(field('Subject')).toHaveAttribute('aria-invalid', 'false');
      expect(screen.queryByText(/Subject must be/)).not.toBeInTheDocument();
    });

    it('shows the error next to the field when it loses focus, linked by aria-describedby', async () => {
      const user = userEvent.setup({ delay: null });
      render(<SupportForm />);
      await user.type(field('Subject'), 'ab');
      await user.tab();
      const subject = field('Subject');
      expect(subject).toHaveAttribute('aria-invalid', 'true');
      expect(errorTextOf(subject)).toBe('Subject must be at least 3 characters.');
      expect(subject).toHaveAccessibleDescription(/Subject must be at least 3 characters\./);
    });

    it('shows "required" for an empty required field after blur', async () => {
      const user = userEvent.setup({ delay: null });
      render(<SupportForm />);
      await user.click(field('Name'));
      await user.tab();
      expect(errorTextOf(field('Name'))).toBe('Name is required.');
    });

    it('updates a shown error as the customer fixes the value', async () => {
      const user = userEvent.setup({ delay: null });
      render(<SupportForm />);
      await user.type(field('Email'), 'ana@');
      await user.tab();
      expect(errorTextOf(field('Email'))).toMatch(/valid email address/);
      await user.type(field('Email'), 'example.com');
      expect(field('Email')).toHaveAttribute('aria-invalid', 'false');
      expect(field('Email')).not.toHaveAttribute('aria-describedby');
    });

    it('trims values before checking lengths', async () => {
      const user = userEvent.setup({ delay: null });
      render(<SupportForm />);
      await user.type(field('Name'), '     ');
      await user.type(field('Subject'), '  ab   ');
      await user.tab();
      expect(errorTextOf(field('Name'))).toBe('Name is required.');
      expect(errorTextOf(field('Subject'))).toBe('Subject must be at least 3 characters.');
    });

    it('enforces the maximum lengths from the schema', async () => {
      const user = userEvent.setup({ delay: null });
      render(<SupportForm />);
      fireEvent.change(field('Name'), { target: { value: 'n'.repeat(101) } });
      fireEvent.blur(field('Name'));
      fireEvent.change(field('Message'), { target: { value: 'm'.repeat(5001) } });
      fireEvent.blur(field('Message'));
      expect(errorTextOf(field('Name'))).toBe('Name must be at most 100 characters (it has 101).');
      expect(errorTextOf(field('Message'))).toBe('Message must be at most 5000 characters (it has 5001).');
      await user.clear(field('Name'));
      await user.type(field('Name'), 'Ana');
      expect(field('Name')).toHaveAttribute('aria-invalid', 'false');
    });

    it('rejects a malformed email address', async () => {
      const user = userEvent.setup({ delay: null });
      render(<SupportForm />);
      await user.type(field('Email'), 'ana at example.com');
      await user.tab();
      expect(errorTextOf(field('Email'))).toBe('Enter a valid email address, like name@example.com.');
    });

    it('accepts an empty phone but rejects a malformed one', async () => {
      const user = userEvent.setup({ delay: null });
      render(<SupportForm />);
      const phone = field('Phone (optional)');
      await user.click(phone);
      await user.tab();
      expect(phone).toHaveAttribute('aria-invalid', 'false');
      await user.type(phone, '555-CALL-NOW');
      await user.tab();
      expect(errorTextOf(phone)).toMatch(/7 to 15 digits/);
      await user.clear(phone);
      await user.type(phone, '+1 (555) 123-4567');
      expect(phone).toHaveAttribute('aria-invalid', 'false');
    });

    it('shows every error and focuses the first invalid field when sending an incomplete form', async () => {
      const fetch = stubFetch();
      const user = userEvent.setup({ delay: null });
      render(<SupportForm />);
      await user.click(sendButton());
      expect(field('Name')).toHaveFocus();
      expect(errorTextOf(field('Name'))).toBe('Name is required.');
      expect(errorTextOf(field('Email'))).toBe('Email is required.');
      expect(errorTextOf(field('Subject'))).toBe('Subject is required.');
      expect(errorTextOf(field('Message'))).toBe('Message is required.');
      expect(field('Phone (optional)')).toHaveAttribute('aria-invalid', 'false');
      expect(fetch).not.toHaveBeenCalled();
    });

    it('focuses the first invalid field in form order, not the first field', async () => {
      stubFetch();
      const user = userEvent.setup({ delay: null });
      render(<SupportForm />);
      await fillValidForm(user);
      await user.clear(field('Subject'));
      await user.type(field('Subject'), 'Hi');
      await user.click(sendButton());
      expect(field('Subject')).toHaveFocus();
    });
  });

  describe('sending', () => {
    it('posts the trimmed values as JSON to /api/v1/support/form, with no phone as null', async () => {
      const fetch = stubFetch(() => Promise.resolve(jsonResponse(202, ACCEPTED)));
      const user = userEvent.setup({ delay: null });
      render(<SupportForm />);
      await fillValidForm(user);
      await user.type(field('Name'), '  ');
      await user.click(sendButton());
      await screen.findByTestId('ticket-number');
      expect(fetch).toHaveBeenCalledTimes(1);
      expect(callUrl(fetch, 0)).toBe('/api/v1/support/form');
      const init = callInit(fetch, 0);
      expect(init.method).toBe('POST');
      expect(init.headers).toMatchObject({ 'Content-Type': 'application/json' });
      expect(callJson(fetch, 0)).toEqual({
        name: 'Ana Lima',
        email: 'ana@example.com',
        phone: null,
        subject: 'Invoice is wrong',
        category: 'billing',
        priority: 'high',
        message: 'My March invoice charges me twice for the Pro plan.',
      });
    });

    it('sends to the configured API base when one is given', async () => {
      const fetch = stubFetch(() => Promise.resolve(jsonResponse(202, ACCEPTED)));
      const user = userEvent.setup({ delay: null });
      render(<SupportForm apiBase="https://support.example.com/" />);
      await fillValidForm(user);
      await user.type(field('Phone (optional)'), '+44 20 7946 0958');
      await user.click(sendButton());
      await screen.findByTestId('ticket-number');
      expect(callUrl(fetch, 0)).toBe('https://support.example.com/api/v1/support/form');
      expect(callJson(fetch, 0)).toMatchObject({ phone: '+44 20 7946 0958' });
    });

    it('shows "Sending…" on a disabled, busy button while the request is pending', async () => {
      const pending = deferred<Response>();
      stubFetch(() => pending.promise);
      const user = userEvent.setup({ delay: null });
      render(<SupportForm />);
      await fillValidForm(user);
      await user.click(sendButton());
      const button = sendButton();
      expect(button).toHaveTextContent('Sending…');
      expect(button).toBeDisabled();
      expect(button).toHaveAttribute('aria-busy', 'true');
      await act(async () => pending.resolve(jsonResponse(202, ACCEPTED)));
      expect(await screen.findByTestId('ticket-number')).toHaveTextContent('TKT-0001');
    });

    it('sends only once when the button is clicked twice', async () => {
      const pending = deferred<Response>();
      const fetch = stubFetch(() => pending.promise);
      const user = userEvent.setup({ delay: null });
      render(<SupportForm />);
      await fillValidForm(user);
      const button = sendButton();
      fireEvent.click(button);
      fireEvent.click(button);
      await user.dblClick(button);
      expect(fetch).toHaveBeenCalledTimes(1);
      await act(async () => pending.resolve(jsonResponse(202, ACCEPTED)));
      await screen.findByTestId('ticket-number');
      expect(fetch).toHaveBeenCalledTimes(1);
    });

    it('shows the ticket number and a link to its status page on success', async () => {
      stubFetch(() => Promise.resolve(jsonResponse(202, ACCEPTED)));
      const user = userEvent.setup({ delay: null });
      render(<SupportForm />);
      await fillValidForm(user);
      await user.click(sendButton());
      expect(await screen.findByTestId('ticket-number')).toHaveTextContent('TKT-0001');
      const link = screen.getByTestId('status-link');
      expect(link).toHaveAttribute('href', '/?ticket=TKT-0001#token=secret-token');
      expect(screen.getByRole('heading', { name: /Thanks, Ana/ })).toHaveFocus();
      expect(screen.queryByRole('button', { name: 'Send message' })).not.toBeInTheDocument();
    });

    it('takes the access token from status_url when access_token is missing', async () => {
      stubFetch(() =>
        Promise.resolve(jsonResponse(202, { ticket_number: 'TKT-0042', status_url: '/api/v1/tickets/TKT-0042?token=from-url', status: 'received' })),
      );
      const user = userEvent.setup({ delay: null });
      render(<SupportForm />);
      await fillValidForm(user);
      await user.click(sendButton());
      expect(await screen.findByTestId('status-link')).toHaveAttribute('href', '/?ticket=TKT-0042#token=from-url');
    });

    it('lets the customer start a new, empty request after success', async () => {
      stubFetch(() => Promise.resolve(jsonResponse(202, ACCEPTED)));
      const user = userEvent.setup({ delay: null });
      render(<SupportForm />);
      await fillValidForm(user);
      await user.click(sendButton());
      await user.click(await screen.findByRole('button', { name: 'Send another request' }));
      expect(field('Name')).toHaveValue('');
      expect(field('Name')).toHaveAttribute('aria-invalid', 'false');
    });
  });

  describe('server errors', () => {
    it('puts 422 field errors next to the matching fields and focuses the first', async () => {
      stubFetch(() =>
        Promise.resolve(
          jsonResponse(422, {
            detail: 'Some fields are invalid.',
            errors: [
              { field: 'subject', message: 'Subject looks like spam.' },
              { field: 'email', message: 'This email domain does not accept mail.' },
            ],
          }),
        ),
      );
      const user = userEvent.setup({ delay: null });
      render(<SupportForm />);
      await fillValidForm(user);
      await user.click(sendButton());
      const email = field('Email');
      expect(await screen.findByText('This email domain does not accept mail.')).toBeInTheDocument();
      expect(email).toHaveAttribute('aria-invalid', 'true');
      expect(errorTextOf(email)).toBe('This email domain does not accept mail.');
      expect(errorTextOf(field('Subject'))).toBe('Subject looks like spam.');
      expect(email).toHaveFocus();
      expect(screen.getByRole('alert')).toHaveTextContent('Please correct the highlighted fields');
      expect(sendButton()).toBeEnabled();
    });

    it('clears a server error once the customer edits that field', async () => {
      stubFetch(() =>
        Promise.resolve(jsonResponse(422, { detail: 'Invalid', errors: [{ field: 'email', message: 'Domain rejected.' }] })),
      );
      const user = userEvent.setup({ delay: null });
      render(<SupportForm />);
      await fillValidForm(user);
      await user.click(sendButton());
      await screen.findByText('Domain rejected.');
      await user.type(field('Email'), 'x');
      expect(screen.queryByText('Domain rejected.')).not.toBeInTheDocument();
      expect(field('Email')).toHaveAttribute('aria-invalid', 'false');
    });

    it('maps field paths like "body.email" onto the field', async () => {
      stubFetch(() =>
        Promise.resolve(jsonResponse(422, { detail: 'Invalid', errors: [{ field: 'body.email', message: 'Domain rejected.' }] })),
      );
      const user = userEvent.setup({ delay: null });
      render(<SupportForm />);
      await fillValidForm(user);
      await user.click(sendButton());
      await screen.findByText('Domain rejected.');
      expect(errorTextOf(field('Email'))).toBe('Domain rejected.');
    });

    it('shows a clear connection message in an alert when the server cannot be reached', async () => {
      stubFetch(() => Promise.reject(new TypeError('Failed to fetch')));
      const user = userEvent.setup({ delay: null });
      render(<SupportForm />);
      await fillValidForm(user);
      await user.click(sendButton());
      const alert = await screen.findByRole('alert');
      expect(alert).toHaveTextContent(NETWORK_ERROR_MESSAGE);
      expect(NETWORK_ERROR_MESSAGE).toBe("We couldn't reach the support server. Check your connection and try again.");
      expect(sendButton()).toHaveTextContent('Send message');
      expect(sendButton()).toBeEnabled();
      expect(field('Name')).toHaveValue('Ana Lima');
    });

    it("shows the server's detail text for other errors", async () => {
      stubFetch(() => Promise.resolve(jsonResponse(429, { detail: 'Too many requests. Please wait a minute.' })));
      const user = userEvent.setup({ delay: null });
      render(<SupportForm />);
      await fillValidForm(user);
      await user.click(sendButton());
      expect(await screen.findByRole('alert')).toHaveTextContent('Too many requests. Please wait a minute.');
    });

    it('falls back to a generic message when the error has no detail', async () => {
      stubFetch(() => Promise.resolve(new Response('<html>Bad gateway</html>', { status: 502 })));
      const user = userEvent.setup({ delay: null });
      render(<SupportForm />);
      await fillValidForm(user);
      await user.click(sendButton());
      expect(await screen.findByRole('alert')).toHaveTextContent('Something went wrong on our side. Please try again in a moment.');
    });

    it('can be sent again after a failure', async () => {
      const fetch = stubFetch();
      fetch.mockRejectedValueOnce(new TypeError('Failed to fetch'));
      fetch.mockResolvedValueOnce(jsonResponse(202, ACCEPTED));
      const user = userEvent.setup({ delay: null });
      render(<SupportForm />);
      await fillValidForm(user);
      await user.click(sendButton());
      await screen.findByRole('alert');
      await user.click(sendButton());
      const ticket = await screen.findByTestId('ticket-number');
      expect(within(ticket).getByText('TKT-0001')).toBeInTheDocument();
      expect(fetch).toHaveBeenCalledTimes(2);
    });
  });
});
