import { type z } from 'zod';

/**
 * Zod's messages in an operator's words: "required", "must be at least 1", "must be one of
 * fail, pause, ignore", "unknown key ...". Passed to every validation of something a person
 * wrote (the plan, a bridge config, command-line options, the sandbox's environment). A message
 * a schema sets itself still wins, and an issue not covered here keeps zod's own wording.
 */
export const plainError: z.core.$ZodErrorMap = (issue) => {
  switch (issue.code) {
    case 'invalid_type':
      if (issue.input === undefined) return 'required';
      if (issue.expected === 'int') return 'must be a whole number';
      // What a coerced option such as `--devices abc` becomes: a number that is not one.
      if (Number.isNaN(issue.input)) return `must be ${article(issue.expected)}`;
      return `must be ${article(issue.expected)}, not ${kindOf(issue.input)}`;
    case 'too_small':
      return tooSmall(issue.origin, Number(issue.minimum), issue.inclusive !== false);
    case 'too_big':
      return tooBig(issue.origin, Number(issue.maximum), issue.inclusive !== false);
    case 'invalid_value':
      return issue.values.length === 1
        ? `must be ${show(issue.values[0])}`
        : `must be one of ${issue.values.map(show).join(', ')}`;
    case 'invalid_format':
      return issue.format === 'url' ? 'must be a URL' : `must be a valid ${issue.format}`;
    case 'unrecognized_keys': {
      const noun = issue.keys.length === 1 ? 'key' : 'keys';
      return `unknown ${noun} ${issue.keys.map(show).join(', ')} (misspelled?)`;
    }
    default:
      return undefined;
  }
};

function tooSmall(origin: string, minimum: number, inclusive: boolean): string {
  if (origin === 'string' || origin === 'array') {
    if (minimum <= 1) return 'must not be empty';
    return `must have at least ${minimum} ${origin === 'string' ? 'characters' : 'entries'}`;
  }
  return inclusive ? `must be at least ${minimum}` : `must be more than ${minimum}`;
}

function tooBig(origin: string, maximum: number, inclusive: boolean): string {
  if (origin === 'string') return `must have at most ${maximum} characters`;
  if (origin === 'array') return `must have at most ${maximum} entries`;
  return inclusive ? `must be at most ${maximum}` : `must be less than ${maximum}`;
}

function article(type: string): string {
  return /^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`;
}

function kindOf(input: unknown): string {
  if (input === null) return 'null';
  if (Array.isArray(input)) return 'a list';
  return article(typeof input);
}

function show(value: unknown): string {
  return typeof value === 'string' ? `"${value}"` : String(value);
}
