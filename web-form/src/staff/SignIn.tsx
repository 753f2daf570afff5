import { useId, useRef, useState, type FormEvent } from 'react';
import { ApiError, GENERIC_ERROR_MESSAGE, NETWORK_ERROR_MESSAGE, NetworkError } from '../api';
import { FormField } from '../components/FormField';
import { SubmitButton } from '../components/SubmitButton';
import { RateLimitedError, signIn, type Session } from './staffApi';

export const WRONG_PASSWORD_MESSAGE = 'Wrong email or password. Check both and try again.';
export const SESSION_ENDED_MESSAGE = 'Your session has ended. Sign in again to carry on.';

type Field = 'email' | 'password';

/** "30 seconds", "1 minute", "15 minutes", "2 hours": a Retry-After as a person reads it. */
export function waitText(seconds: number): string {
  if (seconds < 60) return seconds === 1 ? '1 second' : `${seconds} seconds`;
  const minutes = Math.ceil(seconds / 60);
  if (minutes < 60) return minutes === 1 ? '1 minute' : `${minutes} minutes`;
  const hours = Math.ceil(minutes / 60);
  return hours === 1 ? '1 hour' : `${hours} hours`;
}

export function lockedMessage(retryAfter: number | null): string {
  const when = retryAfter === null ? 'later' : `in ${waitText(retryAfter)}`;
  return `Too many failed sign-in attempts. For your safety, signing in is locked: try again ${when}.`;
}

interface SignInProps {
  /** Why the person is here again (their session ended), if so. */
  notice: string | null;
  onSignedIn: (session: Session) => void;
}

export function SignIn({ notice, onSignedIn }: SignInProps) {
  const idPrefix = useId();
  const [values, setValues] = useState<Record<Field, string>>({ email: '', password: '' });
  const [errors, setErrors] = useState<Partial<Record<Field, string>>>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const inFlight = useRef(false);
  const controls = useRef<Partial<Record<Field, HTMLInputElement | null>>>({});

  const check = (next: Record<Field, string>): Partial<Record<Field, string>> => {
    const found: Partial<Record<Field, string>> = {};
    if (next.email.trim() === '') found.email = 'Enter your email address.';
    if (next.password === '') found.password = 'Enter your password.';
    return found;
  };

  const handleSubmit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    if (inFlight.current) return;
    setFormError(null);
    const found = check(values);
    setErrors(found);
    const first = (['email', 'password'] as const).find((field) => found[field] !== undefined);
    if (first !== undefined) {
      controls.current[first]?.focus();
      return;
    }
    inFlight.current = true;
    setBusy(true);
    try {
      onSignedIn(await signIn(values.email.trim(), values.password));
    } catch (error) {
      if (error instanceof RateLimitedError) {
        setFormError(lockedMessage(error.retryAfter));
      } else if (error instanceof ApiError && error.status === 401) {
        setFormError(WRONG_PASSWORD_MESSAGE);
        setValues((current) => ({ ...current, password: '' }));
        controls.current.password?.focus();
      } else if (error instanceof ApiError && error.fieldErrors.length > 0) {
        const mapped: Partial<Record<Field, string>> = {};
        for (const item of error.fieldErrors) {
          const name = item.field.split('.').pop();
          if (name === 'email' || name === 'password') mapped[name] ??= item.message;
        }
        setErrors(mapped);
        setFormError(error.detail);
      } else if (error instanceof ApiError) {
        setFormError(error.detail);
      } else if (error instanceof NetworkError) {
        setFormError(NETWORK_ERROR_MESSAGE);
      } else {
        setFormError(GENERIC_ERROR_MESSAGE);
      }
    } finally {
      inFlight.current = false;
      setBusy(false);
    }
  };

  const bind = (field: Field) => ({
    value: values[field],
    onChange: (event: { target: { value: string } }) => {
      setValues((current) => ({ ...current, [field]: event.target.value }));
      setErrors((current) => ({ ...current, [field]: undefined }));
    },
    ref: (element: HTMLInputElement | null) => {
      controls.current[field] = element;
    },
  });

  const headingId = `${idPrefix}-heading`;
  return (
    <section className="card signin" aria-labelledby={headingId}>
      <h1 id={headingId} className="card__title" tabIndex={-1} data-view-heading>
        Sign in to the support inbox
      </h1>
      <p className="card__lead">For the support team. Customers can check their tickets on the support page.</p>
      {notice !== null ? (
        <div className="alert alert--warning alert--flush" role="status">
          {notice}
        </div>
      ) : null}
      <form className="form" noValidate onSubmit={handleSubmit}>
        <FormField id={`${idPrefix}-email`} name="email" label="Email" required error={errors.email}>
          {(control) => (
            <input {...control} {...bind('email')} type="email" autoComplete="username" inputMode="email" spellCheck={false} />
          )}
        </FormField>
        <FormField id={`${idPrefix}-password`} name="password" label="Password" required error={errors.password}>
          {(control) => <input {...control} {...bind('password')} type="password" autoComplete="current-password" />}
        </FormField>
        {formError !== null ? (
          <div className="alert alert--error" role="alert" data-testid="signin-error">
            {formError}
          </div>
        ) : null}
        <div className="form__actions">
          <SubmitButton label="Sign in" busy={busy} busyLabel="Signing in…" />
        </div>
      </form>
    </section>
  );
}
