/** One line of CloudWatch embedded metric format, as Powertools Metrics writes it to stdout. */
export interface EmfLine {
  readonly _aws: {
    readonly Timestamp: number;
    readonly CloudWatchMetrics: readonly {
      readonly Namespace: string;
      readonly Dimensions: readonly (readonly string[])[];
      readonly Metrics: readonly { readonly Name: string; readonly Unit: string }[];
    }[];
  };
  readonly [key: string]: unknown;
}

/** The EMF lines in captured output; log lines and anything else are skipped. */
export const emfLines = (text: string): EmfLine[] =>
  text.split('\n').flatMap((line) => {
    try {
      const value: unknown = JSON.parse(line);

      return value !== null && typeof value === 'object' && '_aws' in value
        ? [value as EmfLine]
        : [];
    } catch {
      return [];
    }
  });

const sameSet = (a: readonly string[], b: readonly string[]) =>
  a.length === b.length && a.every((name) => b.includes(name));

/**
 * The values CloudWatch would file under one series: `metric` with exactly the dimensions
 * `service` plus those given, with the given values. Arrays of samples are flattened.
 */
export const seriesValues = (
  lines: readonly EmfLine[],
  metric: string,
  dimensions: Readonly<Record<string, string>>,
): number[] =>
  lines
    .filter((line) => {
      const [directive] = line._aws.CloudWatchMetrics;

      return (
        directive?.Metrics.some((m) => m.Name === metric) &&
        directive.Dimensions.some((set) => sameSet(set, ['service', ...Object.keys(dimensions)])) &&
        Object.entries(dimensions).every(([name, value]) => line[name] === value)
      );
    })
    .flatMap((line) => line[metric] as number | number[]);

/** The sum of a series, as a Sum statistic over the lines would give it. */
export const seriesSum = (
  lines: readonly EmfLine[],
  metric: string,
  dimensions: Readonly<Record<string, string>>,
): number => seriesValues(lines, metric, dimensions).reduce((sum, value) => sum + value, 0);
