/** The middle value, or the mean of the two middle ones; NaN for no values. */
export const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  if (sorted.length === 0) {
    return Number.NaN;
  }

  return sorted.length % 2 === 1
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
};

/** Milliseconds with one decimal, for tables. */
export const ms = (value: number): string => `${value.toFixed(1)} ms`;

/** A ratio with two decimals. */
export const ratio = (value: number): string => value.toFixed(2);

/** Rounds to `digits` decimals, for the JSON line. */
export const round = (value: number, digits = 2): number => {
  const factor = 10 ** digits;

  return Math.round(value * factor) / factor;
};
