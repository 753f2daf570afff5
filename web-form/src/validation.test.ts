import { describe, expect, it } from 'vitest';
import followUpSchema from './schema/follow-up.schema.json';
import supportFormSchema from './schema/support-form.schema.json';
import {
  followUpRules,
  initialValues,
  isOptional,
  isValidEmail,
  isValidPhone,
  ruleFromSchema,
  supportFormRules,
  SUPPORT_FORM_FIELDS,
  textLength,
  validateAll,
  validateValue,
} from './validation';

const props = supportFormSchema.properties;

describe('rules read from the server JSON Schemas', () => {
  it('takes every length limit from support-form.schema.json', () => {
    expect(supportFormRules.name).toMatchObject({ minLength: props.name.minLength, maxLength: props.name.maxLength });
    expect(supportFormRules.email.maxLength).toBe(props.email.maxLength);
    expect(supportFormRules.subject).toMatchObject({ minLength: props.subject.minLength, maxLength: props.subject.maxLength });
    expect(supportFormRules.message).toMatchObject({ minLength: props.message.minLength, maxLength: props.message.maxLength });
  });

  it('reads the phone limit and nullability from its anyOf branches', () => {
    expect(supportFormRules.phone).toMatchObject({
      maxLength: props.phone.anyOf[0]?.maxLength,
      nullable: true,
      required: false,
      format: 'phone',
      defaultValue: null,
    });
  });

  it('takes the category and priority options and defaults from the schema enums', () => {
    expect(supportFormRules.category.enumValues).toEqual(props.category.enum);
    expect(supportFormRules.category.defaultValue).toBe(props.category.default);
    expect(supportFormRules.priority.enumValues).toEqual(props.priority.enum);
    expect(supportFormRules.priority.defaultValue).toBe(props.priority.default);
  });

  it('marks exactly the schema required fields as required', () => {
    const required = SUPPORT_FORM_FIELDS.filter((field) => supportFormRules[field].required);
    expect(required.sort()).toEqual([...supportFormSchema.required].sort());
  });

  it('takes the follow-up message limits from follow-up.schema.json', () => {
    expect(followUpRules.message).toMatchObject({
      required: true,
      minLength: followUpSchema.properties.message.minLength,
      maxLength: followUpSchema.properties.message.maxLength,
    });
  });

  it('treats only phone as optional', () => {
    expect(SUPPORT_FORM_FIELDS.filter((field) => isOptional(supportFormRules[field]))).toEqual(['phone']);
  });

  it('starts the form with the schema defaults', () => {
    expect(initialValues(supportFormRules, SUPPORT_FORM_FIELDS)).toEqual({
      name: '',
      email: '',
      phone: '',
      subject: '',
      category: 'general',
      priority: 'medium',
      message: '',
    });
  });

  it('fails loudly when the schema lacks a field the form needs', () => {
    expect(() => ruleFromSchema(supportFormSchema, 'nickname')).toThrow(/nickname/);
  });
});

describe('validateValue', () => {
  const { name, email, phone, subject, category, message } = supportFormRules;

  it('requires required fields, counting whitespace-only as empty', () => {
    expect(validateValue(name, '')).toBe('Name is required.');
    expect(validateValue(name, '   ')).toBe('Name is required.');
    expect(validateValue(message, '\n\t ')).toBe('Message is required.');
  });

  it('checks minimum length after trimming', () => {
    expect(validateValue(subject, '  ab  ')).toBe('Subject must be at least 3 characters.');
    expect(validateValue(subject, ' abc ')).toBeNull();
    expect(validateValue(message, 'too short')).toBe('Message must be at least 10 characters.');
  });

  it('checks maximum length after trimming', () => {
    expect(validateValue(name, 'a'.repeat(100))).toBeNull();
    expect(validateValue(name, `  ${'a'.repeat(100)}  `)).toBeNull();
    expect(validateValue(name, 'a'.repeat(101))).toBe('Name must be at most 100 characters (it has 101).');
    expect(validateValue(message, 'x'.repeat(5001))).toMatch(/at most 5000 characters/);
  });

  it('counts characters as the server does (code points, not UTF-16 units)', () => {
    expect(textLength('😀😀')).toBe(2);
    expect(validateValue(name, '😀'.repeat(100))).toBeNull();
  });

  it('accepts only the schema enum values', () => {
    expect(validateValue(category, 'billing')).toBeNull();
    expect(validateValue(category, 'urgent')).toBe('Please choose a valid category.');
    expect(validateValue(category, '')).toBe('Please choose a category.');
  });

  it.each(['ana@example.com', 'a.b+tag@mail.example.co.uk', 'x@y.io'])('accepts the email %s', (value) => {
    expect(validateValue(email, value)).toBeNull();
  });

  it.each(['plainaddress', 'no@tld', 'two@@example.com', 'with space@example.com', '@example.com', 'a@.com', 'a@example.c'])(
    'rejects the email %s',
    (value) => {
      expect(validateValue(email, value)).toBe('Enter a valid email address, like name@example.com.');
    },
  );

  it('leaves the phone optional', () => {
    expect(validateValue(phone, '')).toBeNull();
    expect(validateValue(phone, '   ')).toBeNull();
  });

  it.each(['+1 (555) 123-4567', '020 7946 0958', '5551234', '+44.20.7946.0958', '123456789012345'])(
    'accepts the phone number %s',
    (value) => {
      expect(isValidPhone(value)).toBe(true);
      expect(validateValue(phone, value)).toBeNull();
    },
  );

  it.each(['555-12ab', '123456', '1234567890123456', '++15551234567', '555 1234 ext 5', '15551234+'])(
    'rejects the phone number %s',
    (value) => {
      expect(isValidPhone(value)).toBe(false);
      expect(validateValue(phone, value)).toMatch(/valid phone number: 7 to 15 digits/);
    },
  );

  it('uses a display name in messages when given one', () => {
    expect(validateValue(followUpRules.message, '', 'Your reply')).toBe('Your reply is required.');
  });

  it('validates a whole form and reports only the failing fields', () => {
    const errors = validateAll(supportFormRules, SUPPORT_FORM_FIELDS, {
      name: 'Ana',
      email: 'nope',
      phone: '',
      subject: 'Hi',
      category: 'general',
      priority: 'medium',
      message: 'My invoice shows the wrong amount.',
    });
    expect(Object.keys(errors)).toEqual(['email', 'subject']);
  });

  it('has a plain email check that needs a domain with a dot', () => {
    expect(isValidEmail('ana@example.com')).toBe(true);
    expect(isValidEmail('ana@localhost')).toBe(false);
  });
});
