/**
 * Regex work an evaluation may do where it runs (the worker's event loop), counted before each
 * regex runs as program size × characters: re2js is linear in both, so the count bounds the time
 * whatever the pattern (docs/security.md, "Rule cost"). A run that would overdraw it throws
 * RegexAllowanceExceeded *before* it starts; the caller evaluates the message elsewhere (the rule
 * pool's threads, which have a time budget) and nothing of the partial evaluation is kept.
 */
export interface RegexMeter {
  /** Steps left; negative never happens, the run that would overdraw throws instead. */
  left: number;
}

export class RegexAllowanceExceeded extends Error {
  constructor(readonly needed: number) {
    super(`regex work of ${needed} steps is over the inline allowance`);
    this.name = "RegexAllowanceExceeded";
  }
}

/** Charges one regex run over `chars` characters; throws when the meter cannot pay for it. */
export function charge(meter: RegexMeter | null, programSize: number, chars: number): void {
  if (meter === null) return;
  const steps = programSize * Math.max(1, chars);
  if (steps > meter.left) throw new RegexAllowanceExceeded(steps);
  meter.left -= steps;
}
