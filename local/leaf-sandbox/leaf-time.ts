/** Formats the current UTC time as Leaf does: `yyyy-MM-ddTHH:mm:ss.SSSSSSZ`. */
export const leafTimestamp = (): string => {
  // Date has millisecond precision only; the high-resolution clock supplies the microseconds.
  const epochMicros = Math.floor((performance.timeOrigin + performance.now()) * 1000);
  const seconds = new Date(Math.floor(epochMicros / 1_000_000) * 1000).toISOString().slice(0, 19);
  const fraction = String(epochMicros % 1_000_000).padStart(6, '0');

  return `${seconds}.${fraction}Z`;
};
