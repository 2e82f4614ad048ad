// The daemon's own counters, gauges and histograms: plain maps it updates on
// every event, read by the exposition writer (prom-client's Registry) only when
// /metrics is scraped. A host that never scrapes never loads prom-client
// (docs/benchmarks.md, idle memory).

export type Labels = Record<string, string>;

/** One sample as the exposition writer takes it. */
export interface Sample {
  labels: Labels;
  value: number;
  metricName?: string;
}

/** What prom-client's Registry reads of a metric: `get()` at each scrape. */
export interface Exposed {
  name: string;
  help: string;
  type: "counter" | "gauge" | "histogram" | "summary";
  aggregator: "sum" | "max";
  get(): { name: string; help: string; type: string; aggregator: string; values: Sample[] };
}

/** What the writer reads of a metric at a scrape: itself, with these samples. */
export const snapshot = (m: Omit<Exposed, "get">, values: Sample[]) => ({
  name: m.name,
  help: m.help,
  type: m.type,
  aggregator: m.aggregator,
  values,
});

/** Label values in a fixed order: the same set is the same key whatever order it was given in. */
const keyOf = (names: readonly string[], labels: Labels) => names.map((n) => labels[n] ?? "").join("\0");

/** A set of series, one value per label set (a counter or a gauge). */
export class Series implements Exposed {
  readonly aggregator = "sum";
  private readonly values = new Map<string, Sample>();

  constructor(
    readonly name: string,
    readonly help: string,
    readonly type: "counter" | "gauge",
    private readonly labelNames: readonly string[] = [],
  ) {
    // Without labels, the one series is there from the start, at 0.
    if (labelNames.length === 0) this.values.set("", { labels: {}, value: 0 });
  }

  inc(labels: Labels = {}, by = 1): void {
    const k = keyOf(this.labelNames, labels);
    const s = this.values.get(k);
    if (s) s.value += by;
    else this.values.set(k, { labels: { ...labels }, value: by });
  }

  set(labels: Labels, value: number): void {
    const k = keyOf(this.labelNames, labels);
    const s = this.values.get(k);
    if (s) s.value = value;
    else this.values.set(k, { labels: { ...labels }, value });
  }

  remove(labels: Labels): void {
    this.values.delete(keyOf(this.labelNames, labels));
  }

  get() {
    return snapshot(this, [...this.values.values()]);
  }
}

/** Series computed at scrape time (values the kernel layer or the backend already hold). */
export class Computed implements Exposed {
  readonly aggregator = "sum";

  constructor(
    readonly name: string,
    readonly help: string,
    readonly type: "counter" | "gauge",
    private readonly read: () => Sample[],
  ) {}

  get() {
    return snapshot(this, this.read());
  }
}

/** A histogram without labels: cumulative buckets, _sum and _count. */
export class Histogram implements Exposed {
  readonly type = "histogram";
  readonly aggregator = "sum";
  private readonly counts: number[];
  private sum = 0;
  private count = 0;

  constructor(
    readonly name: string,
    readonly help: string,
    private readonly bounds: readonly number[],
  ) {
    this.counts = bounds.map(() => 0);
  }

  observe(value: number): void {
    const i = this.bounds.findIndex((b) => value <= b);
    if (i >= 0) this.counts[i] = (this.counts[i] ?? 0) + 1;
    this.sum += value;
    this.count += 1;
  }

  get() {
    let acc = 0;
    const bucket = `${this.name}_bucket`;
    const values: Sample[] = this.bounds.map((b, i) => {
      acc += this.counts[i] ?? 0;
      return { metricName: bucket, labels: { le: String(b) }, value: acc };
    });
    values.push(
      { metricName: bucket, labels: { le: "+Inf" }, value: this.count },
      { metricName: `${this.name}_sum`, labels: {}, value: this.sum },
      { metricName: `${this.name}_count`, labels: {}, value: this.count },
    );
    return snapshot(this, values);
  }
}
