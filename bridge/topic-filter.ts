/** Whether a topic name matches an MQTT filter (`+` one level, `#` the rest). */
export function topicMatches(filter: string, topic: string): boolean {
  // MQTT 3.1.1 4.7.2: wildcards at the first level never match topics that start with `$`.
  if (topic.startsWith('$') && (filter.startsWith('+') || filter.startsWith('#'))) return false;
  const f = filter.split('/');
  const t = topic.split('/');
  for (let i = 0; i < f.length; i += 1) {
    if (f[i] === '#') return true;
    if (i >= t.length) return false;
    if (f[i] !== '+' && f[i] !== t[i]) return false;
  }
  return f.length === t.length;
}

/** Whether some topic name could match both filters. Used to prove two routes never meet. */
export function filtersOverlap(a: string, b: string): boolean {
  const x = a.split('/');
  const y = b.split('/');
  for (let i = 0; i < Math.max(x.length, y.length); i += 1) {
    if (x[i] === '#' || y[i] === '#') return true;
    if (x[i] === undefined || y[i] === undefined) return false;
    if (x[i] !== '+' && y[i] !== '+' && x[i] !== y[i]) return false;
  }
  return true;
}

/** Whether a string is a valid MQTT subscription filter. */
export function isValidFilter(filter: string): boolean {
  if (filter.length === 0) return false;
  const levels = filter.split('/');
  return levels.every((level, i) => {
    if (level === '#') return i === levels.length - 1;
    return level === '+' || !/[+#]/.test(level);
  });
}

/** A prefix rewrite: topics starting with `from` continue under `to`. */
export interface TopicRewrite {
  from: string;
  to: string;
}

/** Applies a rewrite to a topic name or a filter; topics outside `from` pass unchanged. */
export function rewriteTopic(topic: string, rewrite: TopicRewrite | undefined): string {
  if (!rewrite || !topic.startsWith(rewrite.from)) return topic;
  return rewrite.to + topic.slice(rewrite.from.length);
}
