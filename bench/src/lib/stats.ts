/**
 * The few statistics the suite reports: medians with their range over rounds, percentiles of
 * raw samples, and ratios rounded for display. Kept separate so the harness's arithmetic has a
 * test of its own.
 */

/** A figure summarised over rounds. */
export interface Summary {
  median: number;
  min: number;
  max: number;
  /** Every round's value, in run order. */
  values: number[];
}

/**
 * The median (the mean of the two middle values for an even count), min and max.
 *
 * @example
 * ```ts
 * summarize([3, 1, 2]); // { median: 2, min: 1, max: 3, values: [3, 1, 2] }
 * ```
 * @throws Error for an empty list: a figure with no measurement must not look like zero.
 */
export function summarize(values: number[]): Summary {
  if (values.length === 0) throw new Error("summarize: no values");
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
  return { median, min: sorted[0]!, max: sorted[sorted.length - 1]!, values: [...values] };
}

/**
 * The p-th percentile (0-100) of samples, nearest-rank method: the smallest sample with at
 * least p% of the samples at or below it.
 *
 * @example
 * ```ts
 * percentile([1, 2, 3, 4], 50); // 2
 * ```
 */
export function percentile(samples: number[], p: number): number {
  if (samples.length === 0) throw new Error("percentile: no samples");
  if (!(p >= 0 && p <= 100)) throw new Error("percentile: p must be within 0-100");
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1]!;
}

/** `a / b`, or null when `b` is not a positive number (no meaningful ratio). */
export function ratio(a: number, b: number): number | null {
  return b > 0 && Number.isFinite(a) ? a / b : null;
}

/**
 * Ratios of two figures measured round by round, `a[i] / b[i]` for each round both were
 * measured in, summarised. Rounds go round-robin over the rows, so round `i` of each row was
 * measured in the same minute or two; pairing them keeps a slow spell of the machine out of the
 * ratio, where a ratio of two medians can set one row's good minute against another's bad one.
 * Pairs whose `b` is not positive are left out; null when no pair is left.
 *
 * @example
 * ```ts
 * pairedRatios([10, 20, 30], [5, 10, 10]); // { median: 2, min: 2, max: 3, values: [2, 2, 3] }
 * ```
 */
export function pairedRatios(a: number[], b: number[]): Summary | null {
  const ratios: number[] = [];
  for (let index = 0; index < Math.min(a.length, b.length); index++) {
    const each = ratio(a[index]!, b[index]!);
    if (each !== null) ratios.push(each);
  }
  return ratios.length > 0 ? summarize(ratios) : null;
}

/**
 * Whether a target held, round by round: `met` when every round meets it, `missed` when none
 * does, `undecided` when some do and some don't. On a machine whose speed swings by tens of
 * percent within a minute, a median just past the line is not a result.
 */
export type Verdict = "met" | "missed" | "undecided";

/**
 * The {@link Verdict} of a target over its rounds' values, and how many rounds meet it.
 *
 * @example
 * ```ts
 * verdictOf([0.79, 0.83, 0.81], (value) => value >= 0.8); // { verdict: "undecided", meeting: 2 }
 * ```
 * @throws Error for no values: a target nothing measured has no verdict.
 */
export function verdictOf(values: number[], meets: (value: number) => boolean): { verdict: Verdict; meeting: number } {
  if (values.length === 0) throw new Error("verdictOf: no values");
  const meeting = values.filter(meets).length;
  const verdict = meeting === values.length ? "met" : meeting === 0 ? "missed" : "undecided";
  return { verdict, meeting };
}

/** A number for a table: thousands separated, `digits` decimals. */
export function formatNumber(value: number, digits = 0): string {
  return value.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** A ratio for a table: `12.3×`, or `n/a`. */
export function formatRatio(value: number | null): string {
  if (value === null) return "n/a";
  return `${value >= 10 ? value.toFixed(1) : value.toFixed(2)}×`;
}
