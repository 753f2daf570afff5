import { useId, useRef, useState, type FormEvent, type KeyboardEvent, type ReactNode } from 'react';
import { FormField } from '../components/FormField';
import { SubmitButton } from '../components/SubmitButton';
import { isSignedOut } from './staffApi';
import { describeProblem, type SignedOutHandler } from './problems';

export interface TextFormProps {
  label: string;
  hint: ReactNode;
  submitLabel: string;
  busyLabel: string;
  emptyMessage: string;
  /** An optional checkbox under the text (the note's "private"). */
  checkbox?: { label: string; hint: string };
  className?: string;
  testId?: string;
  /** Sends the text; resolve when the server took it, reject to show the error. */
  onSubmit: (text: string, checked: boolean) => Promise<void>;
  onSignedOut: SignedOutHandler;
}

/**
 * A labelled textarea and a submit button: the answer box and the note box.
 * Ctrl+Enter (⌘+Enter) sends from the text; the text is kept if sending fails.
 */
export function TextForm({
  label,
  hint,
  submitLabel,
  busyLabel,
  emptyMessage,
  checkbox,
  className,
  testId,
  onSubmit,
  onSignedOut,
}: TextFormProps) {
  const idPrefix = useId();
  const [text, setText] = useState('');
  const [checked, setChecked] = useState(false);
  const [error, setError] = useState<string | undefined>(undefined);
  const [formError, setFormError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const inFlight = useRef(false);
  const textRef = useRef<HTMLTextAreaElement | null>(null);

  const handleSubmit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    if (inFlight.current) return;
    setFormError(null);
    const content = text.trim();
    if (content === '') {
      setError(emptyMessage);
      textRef.current?.focus();
      return;
    }
    inFlight.current = true;
    setBusy(true);
    try {
      await onSubmit(content, checked);
      setText('');
      setChecked(false);
      setError(undefined);
    } catch (caught) {
      if (isSignedOut(caught)) {
        onSignedOut();
        return;
      }
      setFormError(describeProblem(caught));
    } finally {
      inFlight.current = false;
      setBusy(false);
    }
  };

  const handleKeyDown = (event: KeyboardEvent<HTMLTextAreaElement>) => {
    if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      event.currentTarget.form?.requestSubmit();
    }
  };

  return (
    <form className={`form ${className ?? ''}`} noValidate onSubmit={handleSubmit} data-testid={testId}>
      <FormField id={`${idPrefix}-text`} name="body" label={label} required hint={hint} error={error}>
        {(control) => (
          <textarea
            {...control}
            ref={textRef}
            rows={4}
            value={text}
            onChange={(event) => {
              setText(event.target.value);
              setError(undefined);
            }}
            onKeyDown={handleKeyDown}
          />
        )}
      </FormField>
      {checkbox ? (
        <div className="checkbox">
          <input
            id={`${idPrefix}-check`}
            type="checkbox"
            checked={checked}
            onChange={(event) => setChecked(event.target.checked)}
            aria-describedby={`${idPrefix}-check-hint`}
          />
          <label htmlFor={`${idPrefix}-check`}>{checkbox.label}</label>
          <p className="field__hint" id={`${idPrefix}-check-hint`}>
            {checkbox.hint}
          </p>
        </div>
      ) : null}
      {formError !== null ? (
        <div className="alert alert--error" role="alert">
          {formError}
        </div>
      ) : null}
      <div className="form__actions">
        <SubmitButton label={submitLabel} busy={busy} busyLabel={busyLabel} />
      </div>
    </form>
  );
}
