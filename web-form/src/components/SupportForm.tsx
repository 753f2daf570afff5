import { useId, useRef, useState, type FormEvent } from 'react';
import {
  ApiError,
  DEFAULT_API_BASE,
  GENERIC_ERROR_MESSAGE,
  NETWORK_ERROR_MESSAGE,
  NetworkError,
  submitForm,
  type SubmitFormResult,
  type SupportFormPayload,
} from '../api';
import { categoryLabel, priorityOptionLabel } from '../labels';
import { useValidatedForm } from '../useValidatedForm';
import {
  SUPPORT_FORM_FIELDS,
  initialValues,
  isOptional,
  supportFormRules as rules,
  textLength,
  type SupportFormField,
} from '../validation';
import { FormField } from './FormField';
import { SuccessMessage } from './SuccessMessage';
import { SubmitButton } from './SubmitButton';

const INITIAL = initialValues(rules, SUPPORT_FORM_FIELDS);

function labelFor(field: SupportFormField): string {
  const rule = rules[field];
  return isOptional(rule) ? `${rule.title} (optional)` : rule.title;
}

function toPayload(values: Record<SupportFormField, string>): SupportFormPayload {
  const phone = values.phone.trim();
  return {
    name: values.name.trim(),
    email: values.email.trim(),
    phone: phone === '' ? null : phone,
    subject: values.subject.trim(),
    category: values.category,
    priority: values.priority,
    message: values.message.trim(),
  };
}

interface SupportFormProps {
  apiBase?: string;
  onSubmitted?: (result: SubmitFormResult) => void;
}

export function SupportForm({ apiBase = DEFAULT_API_BASE, onSubmitted }: SupportFormProps) {
  const idPrefix = useId();
  const form = useValidatedForm(rules, SUPPORT_FORM_FIELDS, INITIAL);
  const [submitting, setSubmitting] = useState(false);
  const inFlight = useRef(false);
  const [formError, setFormError] = useState<string | null>(null);
  const [result, setResult] = useState<{ ticket: SubmitFormResult; name: string } | null>(null);

  const id = (field: SupportFormField) => `${idPrefix}-${field}`;

  const handleSubmit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    if (inFlight.current) return; // a second click while sending does nothing
    setFormError(null);
    const firstInvalid = form.validateForSubmit();
    if (firstInvalid !== null) {
      form.focusField(firstInvalid);
      return;
    }
    inFlight.current = true;
    setSubmitting(true);
    const payload = toPayload(form.values);
    try {
      const ticket = await submitForm(payload, { apiBase });
      setResult({ ticket, name: payload.name });
      onSubmitted?.(ticket);
    } catch (error) {
      if (error instanceof NetworkError) {
        setFormError(NETWORK_ERROR_MESSAGE);
      } else if (error instanceof ApiError) {
        const { first, unmatched } = form.applyServerErrors(error.fieldErrors);
        if (first !== null) {
          form.focusField(first);
          setFormError(
            unmatched.length > 0
              ? `${error.detail} ${unmatched.map((item) => item.message).join(' ')}`
              : 'Please correct the highlighted fields and send again.',
          );
        } else {
          const extra = unmatched.map((item) => item.message).join(' ');
          setFormError(extra === '' ? error.detail : `${error.detail} ${extra}`);
        }
      } else {
        setFormError(GENERIC_ERROR_MESSAGE);
      }
    } finally {
      inFlight.current = false;
      setSubmitting(false);
    }
  };

  if (result !== null) {
    return (
      <SuccessMessage
        ticketNumber={result.ticket.ticket_number}
        accessToken={result.ticket.access_token}
        name={result.name}
        onStartOver={() => {
          form.reset();
          setResult(null);
        }}
      />
    );
  }

  const messageLength = textLength(form.values.message.trim());
  const messageRule = rules.message;

  return (
    <section className="card" aria-labelledby={`${idPrefix}-heading`}>
      <h1 id={`${idPrefix}-heading`} className="card__title" tabIndex={-1} data-view-heading>
        How can we help?
      </h1>
      <p className="card__lead">
        Tell us what's going on and our support assistant will get back to you — any time, day or night.
      </p>

      <form className="form" noValidate onSubmit={handleSubmit} aria-describedby={`${idPrefix}-required-note`}>
        <p className="form__note" id={`${idPrefix}-required-note`}>
          All fields are required unless marked optional.
        </p>

        <div className="form__row">
          <FormField id={id('name')} name="name" label={labelFor('name')} required={rules.name.required} error={form.errorFor('name')}>
            {(control) => <input {...control} {...form.bind('name')} type="text" autoComplete="name" />}
          </FormField>
          <FormField id={id('email')} name="email" label={labelFor('email')} required={rules.email.required} error={form.errorFor('email')}>
            {(control) => (
              <input {...control} {...form.bind('email')} type="email" autoComplete="email" inputMode="email" spellCheck={false} />
            )}
          </FormField>
        </div>

        <FormField
          id={id('phone')}
          name="phone"
          label={labelFor('phone')}
          required={rules.phone.required}
          hint="Only if you'd like us to be able to call or message you."
          error={form.errorFor('phone')}
        >
          {(control) => <input {...control} {...form.bind('phone')} type="tel" autoComplete="tel" inputMode="tel" />}
        </FormField>

        <FormField id={id('subject')} name="subject" label={labelFor('subject')} required={rules.subject.required} error={form.errorFor('subject')}>
          {(control) => <input {...control} {...form.bind('subject')} type="text" />}
        </FormField>

        <div className="form__row">
          <FormField id={id('category')} name="category" label={labelFor('category')} error={form.errorFor('category')}>
            {(control) => (
              <select {...control} {...form.bind('category')}>
                {(rules.category.enumValues ?? []).map((value) => (
                  <option key={value} value={value}>
                    {categoryLabel(value)}
                  </option>
                ))}
              </select>
            )}
          </FormField>
          <FormField id={id('priority')} name="priority" label={labelFor('priority')} error={form.errorFor('priority')}>
            {(control) => (
              <select {...control} {...form.bind('priority')}>
                {(rules.priority.enumValues ?? []).map((value) => (
                  <option key={value} value={value}>
                    {priorityOptionLabel(value)}
                  </option>
                ))}
              </select>
            )}
          </FormField>
        </div>

        <FormField
          id={id('message')}
          name="message"
          label={labelFor('message')}
          required={rules.message.required}
          hint={
            messageRule.minLength !== undefined
              ? `Please include at least ${messageRule.minLength} characters — the more detail, the faster we can help.`
              : undefined
          }
          error={form.errorFor('message')}
          aside={
            messageRule.maxLength !== undefined ? (
              <p
                className={`field__counter${messageLength > messageRule.maxLength ? ' field__counter--over' : ''}`}
                aria-hidden="true"
              >
                {messageLength} / {messageRule.maxLength}
              </p>
            ) : null
          }
        >
          {(control) => <textarea {...control} {...form.bind('message')} rows={7} />}
        </FormField>

        {formError !== null ? (
          <div className="alert alert--error" role="alert">
            {formError}
          </div>
        ) : null}

        <div className="form__actions">
          <SubmitButton label="Send message" busy={submitting} />
        </div>
      </form>
    </section>
  );
}
