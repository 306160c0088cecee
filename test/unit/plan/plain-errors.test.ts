import { z } from 'zod';

import { plainError } from '../../../plan/plain-errors';

const schema = z.strictObject({
  name: z.string().min(1),
  url: z.string().url(),
  count: z.number().int().min(1).max(10),
  ratio: z.number().positive(),
  mode: z.enum(['fail', 'pause']),
  kind: z.literal('file'),
  tags: z.array(z.string()).min(2).max(3),
  id: z.string().regex(/^[a-z]+$/, 'lower-case letters only'),
});

function problems(input: unknown): string[] {
  const parsed = schema.safeParse(input, { error: plainError });
  return parsed.success ? [] : parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
}

const valid = {
  name: 'a',
  url: 'mqtt://127.0.0.1:1883',
  count: 2,
  ratio: 0.5,
  mode: 'fail',
  kind: 'file',
  tags: ['x', 'y'],
  id: 'abc',
};

describe('plainError', () => {
  it('accepts what the schema accepts', () => {
    expect(problems(valid)).toEqual([]);
  });

  it('words each kind of problem for an operator', () => {
    expect(
      problems({
        url: 'not a url',
        count: 1.5,
        ratio: 0,
        mode: 'shrug',
        kind: 'bucket',
        tags: ['x'],
        id: 'ABC',
        extra: true,
      }),
    ).toEqual([
      'name: required',
      'url: must be a URL',
      'count: must be a whole number',
      'ratio: must be more than 0',
      'mode: must be one of "fail", "pause"',
      'kind: must be "file"',
      'tags: must have at least 2 entries',
      // A message the schema sets itself wins.
      'id: lower-case letters only',
      ': unknown key "extra" (misspelled?)',
    ]);
  });

  it('says what a coerced option that is not a number must be', () => {
    const devices = z.coerce.number().int().min(1);
    const parsed = devices.safeParse('abc', { error: plainError });
    expect(parsed.success ? [] : parsed.error.issues.map((i) => i.message)).toEqual([
      'must be a number',
    ]);
  });

  it('names the type it wanted and the one it got', () => {
    expect(problems({ ...valid, name: 7, count: '2', tags: 7 })).toEqual([
      'name: must be a string, not a number',
      'count: must be a number, not a string',
      'tags: must be an array, not a number',
    ]);
    expect(problems({ ...valid, name: '', count: 11, tags: ['a', 'b', 'c', 'd'] })).toEqual([
      'name: must not be empty',
      'count: must be at most 10',
      'tags: must have at most 3 entries',
    ]);
  });
});
