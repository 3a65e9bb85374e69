// Durations as people type them on a command line: "90", "90s", "15m", "1h", "7d".

const UNITS: Readonly<Record<string, number>> = { s: 1, m: 60, h: 3600, d: 86_400 };

/** The duration in whole seconds; undefined when the text is not one (or not positive). */
export function parseDurationSeconds(text: string): number | undefined {
  const match = /^(\d+)([smhd]?)$/.exec(text.trim());
  if (match === null) return undefined;
  const seconds = Number(match[1]) * UNITS[match[2] === '' ? 's' : match[2]!]!;
  return Number.isSafeInteger(seconds) && seconds > 0 ? seconds : undefined;
}
