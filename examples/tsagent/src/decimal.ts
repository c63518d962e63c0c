// Exact decimal arithmetic for credit amounts and prices.
//
// The market sends amounts as decimal strings ("12.5", "0.000001") and
// refuses JSON numbers: a float cannot hold 0.1 exactly, and credits must
// add up to the last unit. So amounts here are never `number`s: a Dec is a
// BigInt count of units of 10^-scale, and every operation is exact.

/** An exact decimal: units × 10^-scale. */
export interface Dec {
  readonly units: bigint;
  readonly scale: number;
}

/** The form the market accepts: digits, optionally a point and digits. */
const decimalPattern = /^(\d+)(?:\.(\d+))?$/;

/** parse reads a non-negative decimal string such as "0.0005". */
export function parse(s: string): Dec {
  const m = decimalPattern.exec(s);
  if (!m) {
    throw new Error(`not a decimal string: ${JSON.stringify(s)}`);
  }
  const whole = m[1] ?? "0";
  const frac = m[2] ?? "";
  return { units: BigInt(whole + frac), scale: frac.length };
}

/** rescale returns d with the given (larger or equal) scale. */
function rescale(d: Dec, scale: number): Dec {
  if (scale < d.scale) {
    throw new Error(`cannot rescale ${format(d)} to ${scale} places exactly`);
  }
  return { units: d.units * 10n ** BigInt(scale - d.scale), scale };
}

/** add returns a + b. */
export function add(a: Dec, b: Dec): Dec {
  const scale = Math.max(a.scale, b.scale);
  return { units: rescale(a, scale).units + rescale(b, scale).units, scale };
}

/** mulInt returns d × n for a whole number n (a quantity, a duration). */
export function mulInt(d: Dec, n: number | bigint): Dec {
  const k = typeof n === "bigint" ? n : BigInt(n);
  return { units: d.units * k, scale: d.scale };
}

/** zero is 0 at scale 0. */
export const zero: Dec = { units: 0n, scale: 0 };

/** isPositive reports whether d > 0. */
export function isPositive(d: Dec): boolean {
  return d.units > 0n;
}

/** compare returns -1, 0 or 1 as a is below, equal to or above b. */
export function compare(a: Dec, b: Dec): number {
  const scale = Math.max(a.scale, b.scale);
  const x = rescale(a, scale).units;
  const y = rescale(b, scale).units;
  return x < y ? -1 : x > y ? 1 : 0;
}

/**
 * format writes d as the market writes decimals: no exponent, no sign, no
 * trailing zeros after the point ("3.2", "1", "0.000001").
 */
export function format(d: Dec): string {
  if (d.units < 0n) {
    throw new Error("negative amounts are never sent");
  }
  let digits = d.units.toString();
  if (d.scale === 0) {
    return digits;
  }
  digits = digits.padStart(d.scale + 1, "0");
  const whole = digits.slice(0, digits.length - d.scale);
  const frac = digits.slice(digits.length - d.scale).replace(/0+$/, "");
  return frac === "" ? whole : `${whole}.${frac}`;
}
