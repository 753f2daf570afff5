import { useCallback, useMemo, useRef, useState } from 'react';
import type { FieldError } from './api';
import { validateAll, type FieldErrors, type FieldRule } from './validation';

/**
 * Form state shared by the support form and the follow-up box.
 * Client errors become visible for a field once it has been blurred or the
 * form submitted; after that they update live as the customer types.
 * Server (422) errors are shown until the customer edits that field.
 */
export function useValidatedForm<F extends string>(
  rules: Record<F, FieldRule>,
  fields: readonly F[],
  initial: Record<F, string>,
  displayNames: Partial<Record<F, string>> = {},
) {
  const [values, setValues] = useState<Record<F, string>>(initial);
  const [touched, setTouched] = useState<Partial<Record<F, boolean>>>({});
  const [serverErrors, setServerErrors] = useState<FieldErrors<F>>({});
  const controls = useRef<Partial<Record<F, HTMLElement | null>>>({});
  const namesRef = useRef(displayNames);

  const clientErrors = useMemo(
    () => validateAll(rules, fields, values, namesRef.current),
    [rules, fields, values],
  );

  const errorFor = (field: F): string | undefined =>
    serverErrors[field] ?? (touched[field] ? clientErrors[field] : undefined);

  const setValue = useCallback((field: F, value: string) => {
    setValues((current) => ({ ...current, [field]: value }));
    setServerErrors((current) => {
      if (current[field] === undefined) return current;
      const next = { ...current };
      delete next[field];
      return next;
    });
  }, []);

  const markTouched = useCallback((field: F) => {
    setTouched((current) => (current[field] ? current : { ...current, [field]: true }));
  }, []);

  const focusField = useCallback((field: F) => {
    controls.current[field]?.focus();
  }, []);

  /** Shows every client error; returns the first invalid field (in form order), or null. */
  const validateForSubmit = (): F | null => {
    const all: Partial<Record<F, boolean>> = {};
    for (const field of fields) all[field] = true;
    setTouched(all);
    const errors = validateAll(rules, fields, values, namesRef.current);
    return fields.find((field) => errors[field] !== undefined) ?? null;
  };

  /**
   * Puts a server's per-field errors next to the matching fields. Field names
   * may come as "email" or as a path like "body.email". Returns the first
   * field that got an error (in form order) and the errors no field matched.
   */
  const applyServerErrors = (fieldErrors: FieldError[]): { first: F | null; unmatched: FieldError[] } => {
    const mapped: FieldErrors<F> = {};
    const unmatched: FieldError[] = [];
    for (const error of fieldErrors) {
      const name = error.field.split('.').pop() ?? error.field;
      const field = fields.find((candidate) => candidate === name);
      if (field === undefined) unmatched.push(error);
      else mapped[field] ??= error.message;
    }
    setServerErrors(mapped);
    return { first: fields.find((field) => mapped[field] !== undefined) ?? null, unmatched };
  };

  const reset = useCallback(
    (next: Record<F, string> = initial) => {
      setValues(next);
      setTouched({});
      setServerErrors({});
    },
    [initial],
  );

  /** Props for the control of `field`: value, change/blur handlers and a ref for focusing. */
  const bind = (field: F) => ({
    value: values[field],
    onChange: (event: { target: { value: string } }) => setValue(field, event.target.value),
    onBlur: () => markTouched(field),
    ref: (element: HTMLElement | null) => {
      controls.current[field] = element;
    },
  });

  return { values, errorFor, setValue, bind, validateForSubmit, applyServerErrors, focusField, reset };
}
