import { useId, useRef, useState, type FormEvent } from 'react';
import { hrefFor, navigate } from '../routing';
import { FormField } from './FormField';
import { SubmitButton } from './SubmitButton';

type LookupField = 'ticket' | 'token';
const ORDER: readonly LookupField[] = ['ticket', 'token'];
const MESSAGES: Record<LookupField, string> = {
  ticket: 'Ticket number is required.',
  token: 'Access token is required.',
};

interface TicketLookupProps {
  initialTicket?: string;
  initialToken?: string;
}

/** Asks for a ticket number and its access token, then opens the status view. */
export function TicketLookup({ initialTicket = '', initialToken = '' }: TicketLookupProps) {
  const idPrefix = useId();
  const [values, setValues] = useState<Record<LookupField, string>>({ ticket: initialTicket, token: initialToken });
  const [touched, setTouched] = useState<Partial<Record<LookupField, boolean>>>({});
  const refs = useRef<Partial<Record<LookupField, HTMLInputElement | null>>>({});

  const errorFor = (field: LookupField) =>
    touched[field] && values[field].trim() === '' ? MESSAGES[field] : undefined;

  const handleSubmit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    setTouched({ ticket: true, token: true });
    const firstInvalid = ORDER.find((field) => values[field].trim() === '');
    if (firstInvalid !== undefined) {
      refs.current[firstInvalid]?.focus();
      return;
    }
    navigate(hrefFor({ view: 'status', ticket: values.ticket.trim(), token: values.token.trim() }));
  };

  const bind = (field: LookupField) => ({
    value: values[field],
    onChange: (event: { target: { value: string } }) =>
      setValues((current) => ({ ...current, [field]: event.target.value })),
    onBlur: () => setTouched((current) => ({ ...current, [field]: true })),
    ref: (element: HTMLInputElement | null) => {
      refs.current[field] = element;
    },
  });

  return (
    <section className="card" aria-labelledby={`${idPrefix}-heading`}>
      <h1 id={`${idPrefix}-heading`} className="card__title" tabIndex={-1} data-view-heading>
        Check a ticket
      </h1>
      <p className="card__lead">
        Enter your ticket number and the access token from the link you were given when you contacted us.
      </p>
      <form className="form" noValidate onSubmit={handleSubmit}>
        <FormField id={`${idPrefix}-ticket`} name="ticket" label="Ticket number" required error={errorFor('ticket')} hint="For example TKT-0001.">
          {(control) => <input {...control} {...bind('ticket')} type="text" autoComplete="off" spellCheck={false} />}
        </FormField>
        <FormField id={`${idPrefix}-token`} name="token" label="Access token" required error={errorFor('token')}>
          {(control) => <input {...control} {...bind('token')} type="text" autoComplete="off" spellCheck={false} />}
        </FormField>
        <div className="form__actions">
          <SubmitButton label="Check status" busy={false} />
        </div>
      </form>
    </section>
  );
}
