/**
 * A small metrics registry and its Prometheus text exposition (format 0.0.4). Every series is a
 * counter underneath (a histogram is its `_bucket`, `_sum` and `_count` counters), so totals from
 * many isolates add up by plain addition, which is what the Redis aggregation does.
 */

export type Labels = Record<string, string>;

export interface MetricDefinition {
  name: string;
  help: string;
  type: "counter" | "histogram" | "gauge";
  /** Upper bounds (seconds) for histograms. */
  buckets?: readonly number[];
}

/** One series: `name{labels}` → value, keyed by `seriesKey`. */
export type Samples = Map<string, number>;

/** A stable key for a series: the name and its labels in sorted order. */
export function seriesKey(name: string, labels: Labels = {}): string {
  const keys = Object.keys(labels).sort();
  if (keys.length === 0) return name;
  return `${name}{${keys.map((k) => `${k}="${escapeLabel(labels[k] as string)}"`).join(",")}}`;
}

const escapeLabel = (v: string) => v.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");

/** Seconds buckets for request durations (Prometheus client defaults, trimmed to what an API sees). */
export const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] as const;

/**
 * Series keys and histogram key sets already built, by name and labels as given (requests count
 * the same few series over and over; building a key sorts and escapes). Bounded: past the limit
 * keys are built each time instead of remembered.
 */
const MEMO_LIMIT = 10_000;
const keyMemo = new Map<string, string>();
const memoId = (name: string, labels: Labels) => {
  let id = name;
  for (const k in labels) id += `\u0001${k}\u0002${labels[k]}`;
  return id;
};
/** `seriesKey`, memoized (see above). */
export function memoSeriesKey(name: string, labels: Labels): string {
  const id = memoId(name, labels);
  let key = keyMemo.get(id);
  if (key === undefined) {
    key = seriesKey(name, labels);
    if (keyMemo.size < MEMO_LIMIT) keyMemo.set(id, key);
  }
  return key;
}

/** Adds `value` to a counter series in `samples`. */
export function addSample(samples: Samples, name: string, labels: Labels, value = 1): void {
  const key = memoSeriesKey(name, labels);
  samples.set(key, (samples.get(key) ?? 0) + value);
}

export interface HistogramKeys {
  bounds: readonly number[];
  /** One per bound, then `+Inf`. */
  buckets: string[];
  sum: string;
  count: string;
}
const histogramMemo = new Map<string, HistogramKeys>();
/** The series keys one observation of `definition` with `labels` adds to, memoized. */
export function histogramKeys(definition: MetricDefinition, labels: Labels): HistogramKeys {
  const id = memoId(definition.name, labels);
  let keys = histogramMemo.get(id);
  if (!keys) {
    const bounds = definition.buckets ?? DURATION_BUCKETS;
    keys = {
      bounds,
      buckets: [...bounds.map(String), "+Inf"].map((le) =>
        seriesKey(`${definition.name}_bucket`, { ...labels, le }),
      ),
      sum: seriesKey(`${definition.name}_sum`, labels),
      count: seriesKey(`${definition.name}_count`, labels),
    };
    if (histogramMemo.size < MEMO_LIMIT) histogramMemo.set(id, keys);
  }
  return keys;
}

/** Adds `value` to the series `key` of `samples`. */
export const addToSeries = (samples: Samples, key: string, value: number) =>
  samples.set(key, (samples.get(key) ?? 0) + value);

/** Records one observation (keys from `histogramKeys`) into `samples`: cumulative buckets, sum, count. */
export function observeInto(samples: Samples, keys: HistogramKeys, value: number): void {
  for (const [i, le] of keys.bounds.entries())
    if (value <= le) addToSeries(samples, keys.buckets[i] as string, 1);
  addToSeries(samples, keys.buckets[keys.bounds.length] as string, 1);
  addToSeries(samples, keys.sum, value);
  addToSeries(samples, keys.count, 1);
}

/** Records one observation of a histogram into `samples` (cumulative buckets, sum and count). */
export function observe(samples: Samples, definition: MetricDefinition, labels: Labels, value: number): void {
  observeInto(samples, histogramKeys(definition, labels), value);
}

const baseName = (key: string) => key.split("{")[0] as string;
const familyOf = (name: string, definitions: Map<string, MetricDefinition>) => {
  if (definitions.has(name)) return name;
  for (const suffix of ["_bucket", "_sum", "_count"]) {
    if (name.endsWith(suffix) && definitions.get(name.slice(0, -suffix.length))?.type === "histogram")
      return name.slice(0, -suffix.length);
  }
  return undefined;
};

const LE = /,?le="([^"]*)"/;
const leValue = (key: string) => {
  const le = LE.exec(key)?.[1];
  return le === undefined ? -1 : le === "+Inf" ? Number.POSITIVE_INFINITY : Number(le);
};
const SUFFIX_ORDER = ["_bucket", "_sum", "_count"];
/**
 * Series order: by label set, and within a histogram's label set its buckets in increasing `le`,
 * then `_sum` and `_count` (the text format wants each histogram series contiguous).
 */
function compareSeries(a: string, b: string): number {
  const split = (key: string) => {
    const name = baseName(key);
    const suffix = SUFFIX_ORDER.findIndex((s) => name.endsWith(s));
    const labels = key.slice(name.length).replace(LE, "").replace("{,", "{");
    return { labels, suffix, le: leValue(key) };
  };
  const [x, y] = [split(a), split(b)];
  if (x.labels !== y.labels) return x.labels < y.labels ? -1 : 1;
  if (x.suffix !== y.suffix) return x.suffix - y.suffix;
  return x.le - y.le;
}

const formatValue = (v: number) => (Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(15))));

/**
 * Writes `samples` in the Prometheus text format, grouped by family with HELP and TYPE lines, in a
 * stable order. Series of unknown families are skipped (they could not be typed).
 */
export function exposition(
  definitions: readonly MetricDefinition[],
  samples: Samples,
  comments: readonly string[] = [],
): string {
  const byName = new Map(definitions.map((d) => [d.name, d]));
  const families = new Map<string, [string, number][]>();
  for (const [key, value] of samples) {
    const family = familyOf(baseName(key), byName);
    if (!family) continue;
    const list = families.get(family) ?? [];
    list.push([key, value]);
    families.set(family, list);
  }
  const lines = comments.map((c) => `# ${c.replace(/\n/g, " ")}`);
  for (const definition of definitions) {
    const series = families.get(definition.name);
    lines.push(
      `# HELP ${definition.name} ${definition.help}`,
      `# TYPE ${definition.name} ${definition.type}`,
    );
    if (!series) continue;
    series.sort(([a], [b]) => compareSeries(a, b));
    for (const [key, value] of series) lines.push(`${key} ${formatValue(value)}`);
  }
  return `${lines.join("\n")}\n`;
}
