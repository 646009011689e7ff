/** Metric names of a Prometheus text exposition (sample lines, so histogram series included). */
export function metricNamesIn(exposition: string): Set<string> {
  const names = new Set<string>();
  for (const line of exposition.split('\n')) {
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{|\s)/.exec(line);
    if (match && !line.startsWith('#')) {
      names.add(match[1]);
    }
  }
  return names;
}

const PROMQL_WORDS = new Set([
  'sum',
  'rate',
  'irate',
  'increase',
  'histogram_quantile',
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'avg',
  'max',
  'min',
  'count',
  'topk',
  'bottomk',
  'and',
  'or',
  'unless',
  'offset',
  'bool',
  'abs',
  'clamp_min',
  'clamp_max',
  'delta',
  'deriv',
  'absent',
  'max_over_time',
  'min_over_time',
  'avg_over_time',
  'le',
  'vector',
  'time',
  'label_replace',
]);

/**
 * Metric names a PromQL expression selects: identifiers that are neither functions, keywords,
 * label names (inside `{}` or `by (...)`) nor string contents. Enough for our rules and panels.
 */
export function referencedMetrics(expr: string): string[] {
  const stripped = expr
    .replace(/"[^"]*"/g, '""')
    .replace(/\{[^}]*\}/g, '')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, '')
    .replace(/\[[^\]]*\]/g, '');
  const names = new Set<string>();
  for (const match of stripped.matchAll(/[a-zA-Z_:][a-zA-Z0-9_:]*/g)) {
    const word = match[0];
    const next = stripped.slice((match.index ?? 0) + word.length).trimStart();
    if (PROMQL_WORDS.has(word) || next.startsWith('(') || /^\d/.test(word)) {
      continue;
    }
    names.add(word);
  }
  return [...names];
}
