/**
 * Client-side validation derived from the server's JSON Schemas
 * (src/schema/*.schema.json, generated from the pydantic models).
 * Nothing here hard-codes a length or an option list: the numbers and enums
 * are read from the schemas, so client and server rules cannot drift.
 */
import followUpSchema from './schema/follow-up.schema.json';
import supportFormSchema from './schema/support-form.schema.json';

export interface FieldRule {
  name: string;
  title: string;
  required: boolean;
  nullable: boolean;
  minLength?: number;
  maxLength?: number;
  enumValues?: readonly string[];
  format?: string;
  defaultValue: string | null;
}

export const SUPPORT_FORM_FIELDS = [
  'name',
  'email',
  'phone',
  'subject',
  'category',
  'priority',
  'message',
] as const;
export type SupportFormField = (typeof SUPPORT_FORM_FIELDS)[number];

export const FOLLOW_UP_FIELDS = ['message'] as const;
export type FollowUpField = (typeof FOLLOW_UP_FIELDS)[number];

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The property itself plus the branches of `anyOf` (pydantic writes `Optional[str]` that way). */
function branchesOf(property: Record<string, unknown>): Record<string, unknown>[] {
  const branches = [property];
  if (Array.isArray(property.anyOf)) {
    for (const branch of property.anyOf) if (isRecord(branch)) branches.push(branch);
  }
  return branches;
}

function firstNumber(branches: Record<string, unknown>[], key: string): number | undefined {
  for (const branch of branches) {
    const value = branch[key];
    if (typeof value === 'number') return value;
  }
  return undefined;
}

function firstString(branches: Record<string, unknown>[], key: string): string | undefined {
  for (const branch of branches) {
    const value = branch[key];
    if (typeof value === 'string') return value;
  }
  return undefined;
}

export function ruleFromSchema(schema: unknown, name: string): FieldRule {
  if (!isRecord(schema) || !isRecord(schema.properties)) {
    throw new Error('Invalid JSON Schema: no "properties"');
  }
  const property = schema.properties[name];
  if (!isRecord(property)) throw new Error(`JSON Schema has no property "${name}"`);
  const branches = branchesOf(property);
  const required = Array.isArray(schema.required) && schema.required.includes(name);
  const nullable = branches.some((branch) => branch.type === 'null');
  let enumValues: string[] | undefined;
  for (const branch of branches) {
    if (Array.isArray(branch.enum)) {
      enumValues = branch.enum.filter((value): value is string => typeof value === 'string');
      break;
    }
  }
  const rule: FieldRule = {
    name,
    title: typeof property.title === 'string' ? property.title : name,
    required,
    nullable,
    defaultValue: typeof property.default === 'string' ? property.default : null,
  };
  const minLength = firstNumber(branches, 'minLength');
  const maxLength = firstNumber(branches, 'maxLength');
  const format = firstString(branches, 'format');
  if (minLength !== undefined) rule.minLength = minLength;
  if (maxLength !== undefined) rule.maxLength = maxLength;
  if (enumValues !== undefined) rule.enumValues = enumValues;
  if (format !== undefined) rule.format = format;
  return rule;
}

export function rulesFromSchema<F extends string>(
  schema: unknown,
  fields: readonly F[],
): Record<F, FieldRule> {
  const rules = {} as Record<F, FieldRule>;
  for (const field of fields) rules[field] = ruleFromSchema(schema, field);
  return rules;
}

export const supportFormRules: Record<SupportFormField, FieldRule> = rulesFromSchema(
  supportFormSchema,
  SUPPORT_FORM_FIELDS,
);
export const followUpRules: Record<FollowUpField, FieldRule> = rulesFromSchema(
  followUpSchema,
  FOLLOW_UP_FIELDS,
);

/** A field the customer may leave blank (not required and no non-null default). */
export function isOptional(rule: FieldRule): boolean {
  return !rule.required && rule.defaultValue === null;
}

/** Length in code points, as Python's len() and JSON Schema count it. */
export function textLength(value: string): number {
  return Array.from(value).length;
}

// something@domain.tld — no spaces, one @, a dot in the domain, a TLD of 2+ characters.
const EMAIL_PATTERN = /^[^\s@]+@[^\s@.]+(?:\.[^\s@.]+)*\.[^\s@.]{2,}$/;
// Digits, spaces, parentheses, dashes and dots, with an optional leading +.
const PHONE_PATTERN = /^\+?[\d\s().-]+$/;
const PHONE_MIN_DIGITS = 7;
const PHONE_MAX_DIGITS = 15;

export function isValidEmail(value: string): boolean {
  return EMAIL_PATTERN.test(value);
}

export function isValidPhone(value: string): boolean {
  if (!PHONE_PATTERN.test(value)) return false;
  const digits = value.replace(/\D/g, '').length;
  return digits >= PHONE_MIN_DIGITS && digits <= PHONE_MAX_DIGITS;
}

function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? '' : 's'}`;
}

/**
 * Checks one value against its rule. The value is trimmed first (the server
 * strips whitespace). Returns an error message, or null when the value is fine.
 * `displayName` replaces the schema title in messages (e.g. "Your reply").
 */
export function validateValue(rule: FieldRule, raw: string, displayName = rule.title): string | null {
  const value = raw.trim();
  if (value === '') {
    if (rule.required) return `${displayName} is required.`;
    // A blank optional field is sent as null (or left to its default), but a
    // select must still hold one of its options.
    if (rule.enumValues && !rule.nullable) return `Please choose a ${displayName.toLowerCase()}.`;
    return null;
  }
  const length = textLength(value);
  if (rule.minLength !== undefined && length < rule.minLength) {
    return `${displayName} must be at least ${plural(rule.minLength, 'character')}.`;
  }
  if (rule.maxLength !== undefined && length > rule.maxLength) {
    return `${displayName} must be at most ${plural(rule.maxLength, 'character')} (it has ${length}).`;
  }
  if (rule.enumValues && !rule.enumValues.includes(value)) {
    return `Please choose a valid ${displayName.toLowerCase()}.`;
  }
  if (rule.format === 'email' && !isValidEmail(value)) {
    return 'Enter a valid email address, like name@example.com.';
  }
  if (rule.format === 'phone' && !isValidPhone(value)) {
    return `Enter a valid phone number: ${PHONE_MIN_DIGITS} to ${PHONE_MAX_DIGITS} digits, optionally starting with +.`;
  }
  return null;
}

export type FieldErrors<F extends string> = Partial<Record<F, string>>;

export function validateAll<F extends string>(
  rules: Record<F, FieldRule>,
  fields: readonly F[],
  values: Record<F, string>,
  displayNames: Partial<Record<F, string>> = {},
): FieldErrors<F> {
  const errors: FieldErrors<F> = {};
  for (const field of fields) {
    const error = validateValue(rules[field], values[field], displayNames[field]);
    if (error !== null) errors[field] = error;
  }
  return errors;
}

/** Initial form values: schema defaults, or '' for free-text fields. */
export function initialValues<F extends string>(
  rules: Record<F, FieldRule>,
  fields: readonly F[],
): Record<F, string> {
  const values = {} as Record<F, string>;
  for (const field of fields) values[field] = rules[field].defaultValue ?? '';
  return values;
}
