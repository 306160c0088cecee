// The arithmetic part of CloudWatch metric math, evaluated here rather than by CloudWatch.
// Why: the emulator returns no values for expressions, and evaluating here gives the same
// numbers against real AWS and the sandbox.
// LIMITATION: only + - * /, parentheses, numbers and query ids are understood; CloudWatch
// functions such as SUM(), FILL() or METRICS() are refused as an analysis error.

/** A series: values by timestamp (epoch milliseconds). */
export type Series = Map<number, number>;

type Token =
  { kind: 'num'; value: number } | { kind: 'id'; name: string } | { kind: 'op'; op: string };

/** Evaluates `expression` point by point over the timestamps every referenced series has. */
export function evaluateExpression(expression: string, series: Record<string, Series>): Series {
  const tokens = tokenize(expression);
  const ids = [...new Set(tokens.flatMap((t) => (t.kind === 'id' ? [t.name] : [])))];
  for (const id of ids) {
    if (!series[id]) throw new Error(`expression refers to unknown id ${id}`);
  }
  const timestamps = ids.length
    ? [...series[ids[0]].keys()].filter((ts) => ids.every((id) => series[id].has(ts)))
    : [];
  const result: Series = new Map();
  for (const ts of timestamps) {
    const value = new Parser(tokens, (id) => series[id].get(ts) as number).parse();
    // CloudWatch drops points where the math is undefined (0 / 0); so do we.
    if (Number.isFinite(value)) result.set(ts, value);
  }
  return result;
}

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  const pattern = /\s*(?:(\d+(?:\.\d+)?)|([a-z][a-zA-Z0-9_]*)|([-+*/()]))/y;
  let at = 0;
  while (at < text.length) {
    if (/^\s*$/.test(text.slice(at))) break;
    pattern.lastIndex = at;
    const match = pattern.exec(text);
    if (!match) throw new Error(`cannot read expression at "${text.slice(at)}"`);
    if (match[1] !== undefined) tokens.push({ kind: 'num', value: Number(match[1]) });
    else if (match[2] !== undefined) tokens.push({ kind: 'id', name: match[2] });
    else tokens.push({ kind: 'op', op: match[3] });
    at = pattern.lastIndex;
  }
  return tokens;
}

/** Recursive descent: expression = term (('+'|'-') term)*, term = factor (('*'|'/') factor)*. */
class Parser {
  private at = 0;

  constructor(
    private readonly tokens: Token[],
    private readonly valueOf: (id: string) => number,
  ) {}

  parse(): number {
    const value = this.expression();
    if (this.at !== this.tokens.length) throw new Error('unexpected text after expression');
    return value;
  }

  private expression(): number {
    let value = this.term();
    while (this.peekOp('+') || this.peekOp('-')) {
      const op = this.next();
      const right = this.term();
      value = op === '+' ? value + right : value - right;
    }
    return value;
  }

  private term(): number {
    let value = this.factor();
    while (this.peekOp('*') || this.peekOp('/')) {
      const op = this.next();
      const right = this.factor();
      value = op === '*' ? value * right : value / right;
    }
    return value;
  }

  private factor(): number {
    const token = this.tokens[this.at++];
    if (!token) throw new Error('expression ends too early');
    if (token.kind === 'num') return token.value;
    if (token.kind === 'id') return this.valueOf(token.name);
    if (token.op === '-') return -this.factor();
    if (token.op === '(') {
      const value = this.expression();
      if (this.next() !== ')') throw new Error('missing )');
      return value;
    }
    throw new Error(`unexpected ${token.op}`);
  }

  private peekOp(op: string): boolean {
    const token = this.tokens[this.at];
    return token?.kind === 'op' && token.op === op;
  }

  private next(): string | undefined {
    const token = this.tokens[this.at++];
    return token?.kind === 'op' ? token.op : undefined;
  }
}
