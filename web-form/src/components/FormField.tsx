import type { ReactNode } from 'react';

export interface ControlProps {
  id: string;
  name: string;
  'aria-invalid': boolean;
  'aria-describedby'?: string;
  'aria-required'?: boolean;
}

interface FormFieldProps {
  id: string;
  name: string;
  label: string;
  required?: boolean;
  hint?: ReactNode;
  error?: string | undefined;
  /** Extra text after the control (e.g. a character counter); not read as part of the description. */
  aside?: ReactNode;
  children: (control: ControlProps) => ReactNode;
}

/**
 * Label + control + hint + error. The control is rendered by the caller with
 * the ids wired up: aria-invalid, and aria-describedby pointing at the hint
 * and (when shown) the error text.
 */
export function FormField({ id, name, label, required, hint, error, aside, children }: FormFieldProps) {
  const hintId = hint ? `${id}-hint` : undefined;
  const errorId = error ? `${id}-error` : undefined;
  const describedBy = [errorId, hintId].filter(Boolean).join(' ');
  const control: ControlProps = { id, name, 'aria-invalid': Boolean(error) };
  if (describedBy !== '') control['aria-describedby'] = describedBy;
  if (required) control['aria-required'] = true;
  return (
    <div className={`field${error ? ' field--invalid' : ''}`}>
      <label className="field__label" htmlFor={id}>
        {label}
      </label>
      {hint ? (
        <p className="field__hint" id={hintId}>
          {hint}
        </p>
      ) : null}
      {children(control)}
      {/* The slot is always there, so an error appearing on blur never moves the button being clicked. */}
      <p className="field__error" id={errorId}>
        {error ? (
          <>
            <span aria-hidden="true">⚠ </span>
            {error}
          </>
        ) : null}
      </p>
      {aside}
    </div>
  );
}
